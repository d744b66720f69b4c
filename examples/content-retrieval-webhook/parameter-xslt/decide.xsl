<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <xsl:variable name="rules" select="/parameter-transformation-input/rules"/>
        <xsl:variable name="objects" select="/parameter-transformation-input/input-from-request/json/objects"/>
        <xsl:variable name="blocked" select="$objects[properties/label/value = $rules/blocked-label]"/>
        <xsl:variable name="foreign" select="$objects[not(options/tenant = $rules/allowed-tenant)]"/>
        <parameter-transformation-output>
            <xsl:choose>
                <xsl:when test="not($objects)"><error>The request names no objects.</error></xsl:when>
                <xsl:when test="$blocked"><error>Retrieval of object <xsl:value-of select="$blocked[1]/properties/idn/value"/> is not allowed: it is labelled '<xsl:value-of select="$blocked[1]/properties/label/value"/>'.</error></xsl:when>
                <xsl:when test="$foreign"><error>Tenant '<xsl:value-of select="$foreign[1]/options/tenant"/>' may not retrieve content.</error></xsl:when>
                <xsl:otherwise><parameter name="decision" value="allowed"/></xsl:otherwise>
            </xsl:choose>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
