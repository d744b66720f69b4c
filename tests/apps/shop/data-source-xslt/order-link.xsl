<?xml version="1.0" encoding="UTF-8"?>
<!-- Two top-level elements, as the HubSpot-style applications answer; converted to one JSON object. -->
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:xs="http://www.w3.org/2001/XMLSchema" exclude-result-prefixes="#all">
    <xsl:output method="xml" omit-xml-declaration="yes"/>
    <xsl:template match="/">
        <xsl:variable name="link" as="xs:string?" select="//intermediate-value[@name = 'shortlink']/@value"/>
        <status><xsl:value-of select="if (exists($link)) then 'success' else 'failure'"/></status>
        <download-link><xsl:value-of select="$link"/></download-link>
    </xsl:template>
</xsl:stylesheet>
