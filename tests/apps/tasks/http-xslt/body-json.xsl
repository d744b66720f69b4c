<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:template match="/">{"key": "<xsl:value-of select="//parameter[@name='key']/@value"/>"}</xsl:template>
</xsl:stylesheet>
