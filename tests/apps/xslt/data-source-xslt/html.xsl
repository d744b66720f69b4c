<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" doctype-public="-//W3C//DTD HTML 4.01//EN" encoding="UTF-8"/>
    <xsl:param name="title" select="'none'"/>
    <xsl:template match="/">
        <html><head><title><xsl:value-of select="$title"/></title></head>
        <body><ul><xsl:for-each select="//item"><li data-z="{@z}"><xsl:value-of select="."/></li></xsl:for-each></ul>
        <p>md5=<xsl:value-of select="//hash"/> id=<xsl:value-of select="//hash/@id"/></p><br/></body></html>
    </xsl:template>
</xsl:stylesheet>
