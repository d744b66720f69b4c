<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text" encoding="UTF-8"/>
    <xsl:template match="/">{"status": 200, "result": "allowed", "requestId": "<xsl:value-of select="//parameter[@name='request-id']/@value"/>"}</xsl:template>
</xsl:stylesheet>
