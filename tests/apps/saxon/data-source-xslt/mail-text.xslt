<?xml version="1.0" encoding="UTF-8"?>
<!-- The plain-text part of the order confirmation e-mail. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:output method="text" encoding="UTF-8"/>

    <xsl:variable name="p" select="/transformation-input/parameters/parameter"/>

    <xsl:template match="/">
        <xsl:variable name="wanted" select="tokenize($p[@name eq 'orders']/@value, '\|\|')"/>
        <xsl:variable name="orders" select="/transformation-input/orders/order[@id = $wanted]"/>
        <xsl:value-of select="concat('Dear ', $p[@name eq 'name']/@value, ',', '&#10;&#10;')"/>
        <xsl:value-of select="concat('you asked about ', count($orders), ' of your orders:', '&#10;')"/>
        <xsl:for-each select="$orders">
            <xsl:variable name="total" select="sum(for $l in line return xs:integer($l/@qty) * xs:decimal($l/@price))"/>
            <xsl:value-of select="concat('- ', @id, ' of ', format-date(xs:date(@date), '[D01].[M01].[Y0001]'), ': ', format-number($total, '0.00'), ' ', ../@currency, ' (', @status, ')', '&#10;')"/>
        </xsl:for-each>
        <xsl:value-of select="concat('&#10;Open amount: ', format-number(sum($orders[@status eq 'open']/line/(xs:integer(@qty) * xs:decimal(@price))), '0.00'), ' ', /transformation-input/orders/@currency, '&#10;')"/>
    </xsl:template>
</xsl:stylesheet>
