<?xml version="1.0" encoding="UTF-8"?>
<!-- The order book as XML shaped for the JSON conversion of the transformer (transformers/orders-json.xml). -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:output method="xml" encoding="UTF-8" omit-xml-declaration="yes"/>

    <xsl:template match="/">
        <xsl:apply-templates select="/transformation-input/orders"/>
    </xsl:template>

    <xsl:template match="orders">
        <orders customer="{@customer}" count="{count(order)}">
            <xsl:apply-templates select="order"/>
            <categories><xsl:value-of select="string-join(distinct-values(order/line/@category), ',')"/></categories>
        </orders>
    </xsl:template>

    <xsl:template match="order">
        <order>
            <xsl:attribute name="id" select="@id"/>
            <xsl:attribute name="open" select="@status eq 'open'"/>
            <total><xsl:value-of select="format-number(sum(for $l in line return xs:integer($l/@qty) * xs:decimal($l/@price)), '0.00')"/></total>
            <weekday><xsl:value-of select="format-date(xs:date(@date), '[FNn]', 'en', (), ())"/></weekday>
            <xsl:for-each select="line">
                <sku><xsl:value-of select="@sku"/></sku>
            </xsl:for-each>
        </order>
    </xsl:template>
</xsl:stylesheet>
