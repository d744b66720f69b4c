<?xml version="1.0" encoding="UTF-8"?>
<!-- The order book as semicolon-separated values, optionally only the orders of one status. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:output method="text" encoding="UTF-8"/>

    <xsl:variable name="params" select="/transformation-input/parameters/parameter"/>
    <xsl:variable name="status" select="string($params[@name eq 'status']/@value)"/>

    <xsl:template match="/">
        <xsl:value-of select="string-join(('order', 'date', 'status', 'skus', 'quantity', 'total'), ';')"/>
        <xsl:text>&#10;</xsl:text>
        <xsl:for-each select="/transformation-input/orders/order[$status eq '' or @status eq $status]">
            <xsl:value-of select="string-join((
                @id,
                format-date(xs:date(@date), '[D01].[M01].[Y0001]'),
                if (@status ne 'open') then upper-case(@status) else @status,
                string-join(line/@sku, '|'),
                string(sum(line/xs:integer(@qty))),
                format-number(sum(for $l in line return xs:integer($l/@qty) * xs:decimal($l/@price)), '0.00')
            ), ';')"/>
            <xsl:text>&#10;</xsl:text>
        </xsl:for-each>
        <xsl:if test="not(exists(/transformation-input/orders/order[$status eq '' or @status eq $status]))">
            <xsl:value-of select="concat('no orders with status ', $status, '&#10;')"/>
        </xsl:if>
        <xsl:value-of select="concat('as of ', /transformation-input/orders/@as-of, ', printed ', format-date(current-date(), '[D01].[M01].[Y0001]'), '&#10;')"/>
    </xsl:template>
</xsl:stylesheet>
