<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text" encoding="UTF-8"/>
    <xsl:template match="/">Scan job <xsl:value-of select="//parameter[@name='scanJobID']/@value"/>
<xsl:for-each select="//parameter[@name != 'request-id']"><xsl:value-of select="@name"/>: <xsl:value-of select="@value"/><xsl:text>&#10;</xsl:text></xsl:for-each>
<xsl:for-each select="//file-upload">File: <xsl:value-of select="@upload-filename"/><xsl:text>&#10;</xsl:text></xsl:for-each></xsl:template>
</xsl:stylesheet>
