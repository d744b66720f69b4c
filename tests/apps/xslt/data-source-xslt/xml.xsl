<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="xml" indent="yes" media-type="application/xml"/>
    <xsl:template match="/">
        <books owner="{//catalog/@owner}">
            <xsl:for-each select="//book"><book id="{@id}"><xsl:value-of select="."/></book></xsl:for-each>
            <xsl:copy-of select="//extra"/>
        </books>
    </xsl:template>
</xsl:stylesheet>
