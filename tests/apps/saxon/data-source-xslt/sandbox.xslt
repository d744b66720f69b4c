<?xml version="1.0" encoding="UTF-8"?>
<!-- Reaches outside the application in the way the request asks (parameter "attack", at "target"); the sandbox of
     the engine must refuse all but reading a document inside the application. -->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:output method="text" encoding="UTF-8"/>

    <xsl:variable name="p" select="/transformation-input/parameters/parameter"/>
    <xsl:variable name="attack" select="string($p[@name eq 'attack']/@value)"/>
    <xsl:variable name="target" select="string($p[@name eq 'target']/@value)"/>

    <xsl:template match="/">
        <xsl:choose>
            <xsl:when test="$attack eq 'inside'">
                <xsl:value-of select="doc('../xml-from-application/orders.xml')/orders/order[1]/@id"/>
            </xsl:when>
            <xsl:when test="$attack eq 'doc'">
                <xsl:value-of select="doc($target)"/>
            </xsl:when>
            <xsl:when test="$attack eq 'document'">
                <xsl:value-of select="document($target)"/>
            </xsl:when>
            <xsl:when test="$attack eq 'text'">
                <xsl:value-of select="unparsed-text($target)"/>
            </xsl:when>
            <xsl:when test="$attack eq 'text-available'">
                <xsl:value-of select="unparsed-text-available($target)"/>
            </xsl:when>
            <xsl:when test="$attack eq 'collection'">
                <xsl:value-of select="count(collection($target))"/>
            </xsl:when>
            <xsl:when test="$attack eq 'write'">
                <xsl:result-document href="{$target}" method="text">written by a stylesheet</xsl:result-document>
                <xsl:text>done</xsl:text>
            </xsl:when>
            <xsl:otherwise>
                <xsl:message terminate="yes">unknown attack</xsl:message>
            </xsl:otherwise>
        </xsl:choose>
    </xsl:template>
</xsl:stylesheet>
