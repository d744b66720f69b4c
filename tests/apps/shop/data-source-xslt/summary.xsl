<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:template match="/">
        <xsl:for-each-group select="tokenize(//parameter[@name = 'items']/@value, ',')" group-by=".">
            <xsl:sort select="current-grouping-key()"/>
            <xsl:value-of select="concat(current-grouping-key(), '=', count(current-group()), ';')"/>
        </xsl:for-each-group>
    </xsl:template>
</xsl:stylesheet>
