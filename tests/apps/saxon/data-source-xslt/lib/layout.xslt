<?xml version="1.0" encoding="UTF-8"?>
<!-- The plain table layout of an order; imported by orders-html.xslt, which refines it. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:template match="order" mode="rows">
        <table class="lines">
            <tr><th>Item</th><th>Description</th><th>Qty</th><th>Price</th><th>Amount</th></tr>
            <xsl:apply-templates select="line" mode="#current"/>
        </table>
    </xsl:template>

    <xsl:template match="line" mode="rows">
        <xsl:param name="currency" as="xs:string" tunnel="yes" required="yes"/>
        <tr>
            <td><xsl:value-of select="@sku"/></td>
            <td><xsl:value-of select="."/></td>
            <td class="num"><xsl:value-of select="@qty"/></td>
            <td class="num"><xsl:value-of select="@price, $currency"/></td>
        </tr>
    </xsl:template>
</xsl:stylesheet>
