<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text" media-type="text/plain"/>
    <xsl:template match="/">Sorry: <xsl:value-of select="//problem"/><xsl:text>&#10;</xsl:text></xsl:template>
</xsl:stylesheet>
