<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <xsl:variable name="a" select="/parameter-transformation-input/input-from-request/parameter[@name='a']/@value"/>
        <xsl:variable name="j" select="/parameter-transformation-input/input-from-request/json"/>
        <xsl:variable name="x" select="/parameter-transformation-input/input-from-request/xml"/>
        <parameter-transformation-output>
            <xsl:choose>
                <xsl:when test="$a = 'bad'"><error>Name missing</error><parameter name="a" value="1"/></xsl:when>
                <xsl:when test="$a = 'two-errors'"><error>1</error><error>2</error></xsl:when>
                <xsl:when test="$a = 'zzz'"><parameter name="zzz" value="1"/></xsl:when>
                <xsl:when test="$a = 'status'"><status>ok</status></xsl:when>
                <xsl:when test="$a = 'foo'"><foo/></xsl:when>
                <xsl:when test="$a = 'noname'"><parameter value="1"/></xsl:when>
                <xsl:when test="$a = 'none'"/>
                <xsl:when test="/parameter-transformation-input/input-from-request/file-upload">
                    <xsl:variable name="u" select="/parameter-transformation-input/input-from-request/file-upload"/>
                    <parameter name="a" value="{count($u)}:{$u[1]/@field-name}:{$u[1]/@upload-filename}:{name($u[1]/*)}:{count($u[2]/*)}"/>
                </xsl:when>
                <xsl:when test="$j"><parameter name="a" value="{$j/name}|{count($j/tags)}|{$j/n}|{$j/_0031_st}"/></xsl:when>
                <xsl:when test="$x"><parameter name="a" value="xml:{$x/order/@id}"/></xsl:when>
                <xsl:when test="$a"><parameter name="a" value="{$a}"/></xsl:when>
            </xsl:choose>
            <parameter name="ds" value="{/parameter-transformation-input/greeting}"/>
            <parameter name="ip" value="{/parameter-transformation-input/input-from-request/ip-address}"/>
            <parameter name="ua" value="{/parameter-transformation-input/input-from-request/http-header[@name-lowercase='user-agent']}"/>
            <parameter name="cookie" value="{/parameter-transformation-input/input-from-request/cookie[@name='S']}"/>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
