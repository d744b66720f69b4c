<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <xsl:variable name="a" select="/parameter-transformation-input/input-from-request/parameter[@name='a']/@value"/>
        <parameter-transformation-output>
            <xsl:choose>
                <xsl:when test="$a = 'bad'"><error>a must not be bad</error></xsl:when>
                <xsl:otherwise><parameter name="a" value="{$a}"/></xsl:otherwise>
            </xsl:choose>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
