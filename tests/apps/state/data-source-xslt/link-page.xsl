<?xml version="1.0" encoding="UTF-8"?>
<!-- Selects the short link the way applications do: as an intermediate value, not as a parameter. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:template match="/">
        <xsl:variable name="p" select="/transformation-input/parameters"/>
        <xsl:value-of select="concat('link=', $p/intermediate-value[@name='shortlink']/@value, '&#10;')"/>
        <xsl:value-of select="concat('parameters named shortlink=', count($p/parameter[@name='shortlink']), '&#10;')"/>
        <xsl:for-each select="$p/*">
            <xsl:value-of select="concat(local-name(), ' ', @name, '&#10;')"/>
        </xsl:for-each>
    </xsl:template>
</xsl:stylesheet>
