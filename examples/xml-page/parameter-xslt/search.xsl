<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <xsl:variable name="c" select="/parameter-transformation-input/input-from-request/parameter[@name='category']/@value"/>
        <parameter-transformation-output>
            <xsl:choose>
                <xsl:when test="$c = 'tea' or $c = 'coffee'"><parameter name="category" value="{$c}"/></xsl:when>
                <xsl:otherwise><error>Unknown category '<xsl:value-of select="$c"/>': choose tea or coffee.</error></xsl:otherwise>
            </xsl:choose>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
