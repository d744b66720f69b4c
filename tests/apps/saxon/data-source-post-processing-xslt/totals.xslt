<?xml version="1.0" encoding="UTF-8"?>
<!-- Post-processing of the order book: totals per category of the orders not cancelled. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:t="urn:example:totals"
    exclude-result-prefixes="#all">

    <xsl:function name="t:amount" as="xs:decimal">
        <xsl:param name="lines" as="element(line)*"/>
        <xsl:sequence select="sum(for $l in $lines return xs:integer($l/@qty) * xs:decimal($l/@price))"/>
    </xsl:function>

    <xsl:template match="/data-source-post-processing-input">
        <data-source-post-processing-output>
            <xsl:for-each select="orders">
                <totals customer="{@customer}" currency="{@currency}" orders="{count(order[@status ne 'cancelled'])}">
                    <xsl:for-each-group select="order[@status ne 'cancelled']/line" group-by="@category">
                        <category name="{current-grouping-key()}" amount="{format-number(t:amount(current-group()), '0.00')}" lines="{count(current-group())}"/>
                    </xsl:for-each-group>
                </totals>
            </xsl:for-each>
            <cancelled><xsl:value-of select="string-join(orders/order[@status eq 'cancelled']/@id, ' ')"/></cancelled>
        </data-source-post-processing-output>
    </xsl:template>
</xsl:stylesheet>
