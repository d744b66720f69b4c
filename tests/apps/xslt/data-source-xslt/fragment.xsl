<?xml version="1.0" encoding="UTF-8"?>
<!-- A result without a single root element: several top-level elements, as many real applications write them. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="xml"/>
    <xsl:template match="/">
        <status>success</status>
        <download-link>https://x.example/y?foo=<xsl:value-of select="//parameter[@name='foo']/@value"/></download-link>
        <item>1</item>
        <item>2</item>
    </xsl:template>
</xsl:stylesheet>
