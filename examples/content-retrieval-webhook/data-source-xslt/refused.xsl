<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:str="http://exslt.org/strings" xmlns:date="http://exslt.org/dates-and-times" extension-element-prefixes="str date">
    <xsl:output method="text" encoding="UTF-8"/>
    <!-- A JSON string: backslashes and quotes escaped. -->
    <xsl:template name="json">
        <xsl:param name="s"/>"<xsl:value-of select="str:replace(str:replace($s, '\', '\\'), '&quot;', '\&quot;')"/>"</xsl:template>
    <xsl:template match="/">
        <xsl:variable name="d" select="//decision"/>{"timestamp": "<xsl:value-of select="date:date-time()"/>", "status": 404, "error": "Not Found", "message": <xsl:call-template name="json"><xsl:with-param name="s" select="$d/@message"/></xsl:call-template>, "requestId": "<xsl:value-of select="$d/@request-id"/>"}</xsl:template>
</xsl:stylesheet>
