<?xml version="1.0" encoding="UTF-8"?>
<!-- An XSLT 1.0 stylesheet: it stays on libxslt, next to the XSLT 2.0 ones of this application. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text" encoding="UTF-8"/>
    <xsl:template match="/">
        <xsl:text>vendor=</xsl:text>
        <xsl:value-of select="system-property('xsl:vendor')"/>
        <xsl:text>&#10;version=</xsl:text>
        <xsl:value-of select="system-property('xsl:version')"/>
        <xsl:text>&#10;</xsl:text>
        <xsl:for-each select="/transformation-input/orders/order">
            <xsl:value-of select="concat(@id, '=', sum(line/@qty), '&#10;')"/>
        </xsl:for-each>
    </xsl:template>
</xsl:stylesheet>
