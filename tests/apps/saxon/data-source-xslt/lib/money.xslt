<?xml version="1.0" encoding="UTF-8"?>
<!-- Money helpers; included by orders-html.xslt. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:m="urn:example:money">

    <!-- Quantity times unit price, exact. -->
    <xsl:function name="m:line-total" as="xs:decimal">
        <xsl:param name="line" as="element(line)"/>
        <xsl:sequence select="xs:integer($line/@qty) * xs:decimal($line/@price)"/>
    </xsl:function>

    <!-- 1234.5, 'EUR' → '1,234.50 EUR' -->
    <xsl:function name="m:format" as="xs:string">
        <xsl:param name="amount" as="xs:decimal"/>
        <xsl:param name="currency" as="xs:string"/>
        <xsl:sequence select="concat(format-number($amount, '#,##0.00'), ' ', $currency)"/>
    </xsl:function>
</xsl:stylesheet>
