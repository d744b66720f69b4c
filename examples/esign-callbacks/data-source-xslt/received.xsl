<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text" encoding="UTF-8"/>
    <xsl:template match="/">{"received": true, "envelope": "<xsl:value-of select="//parameter[@name='envelope']/@value"/>", "status": "<xsl:value-of select="//parameter[@name='status']/@value"/>"}</xsl:template>
</xsl:stylesheet>
