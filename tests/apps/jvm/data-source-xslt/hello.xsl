<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:f="urn:test:functions" exclude-result-prefixes="#all">
    <xsl:output method="text"/>
    <xsl:function name="f:shout" as="xs:string">
        <xsl:param name="s" as="xs:string"/>
        <xsl:sequence select="concat(upper-case($s), '!')"/>
    </xsl:function>
    <xsl:template match="/">
        <xsl:variable name="name" select="string(//parameter[@name = 'name']/@value)"/>
        <xsl:value-of select="concat('Hello, ', f:shout($name)), string-join(for $i in 1 to 3 return string($i * $i), '-'), system-property('xsl:vendor')" separator=" | "/>
    </xsl:template>
</xsl:stylesheet>
