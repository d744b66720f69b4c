<?xml version="1.0" encoding="UTF-8"?>
<!-- The order overview page: one section per order with its due date, totals per category. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:m="urn:example:money"
    exclude-result-prefixes="#all">

    <xsl:import href="lib/layout.xslt"/>
    <xsl:include href="lib/money.xslt"/>

    <xsl:output method="html" encoding="UTF-8" indent="yes"/>

    <!-- Both given by <placeholder-value> in transformers/orders-html.xml -->
    <xsl:param name="title" as="xs:string" select="'Orders'"/>
    <xsl:param name="payment-days" as="xs:string" select="'30'"/>

    <xsl:variable name="orders" select="/transformation-input/orders" as="element(orders)"/>
    <xsl:variable name="as-of" select="xs:date($orders/@as-of)" as="xs:date"/>
    <xsl:variable name="term" select="xs:dayTimeDuration(concat('P', $payment-days, 'D'))"/>

    <xsl:template match="/">
        <html>
            <head><title><xsl:value-of select="$title"/></title></head>
            <body>
                <h1><xsl:value-of select="$title, $orders/@customer" separator=": "/></h1>
                <xsl:apply-templates select="$orders/order" mode="rows">
                    <xsl:with-param name="currency" select="string($orders/@currency)" tunnel="yes"/>
                </xsl:apply-templates>
                <h2>By category</h2>
                <table class="categories">
                    <xsl:for-each-group select="$orders/order[@status ne 'cancelled']/line" group-by="@category">
                        <xsl:sort select="current-grouping-key()"/>
                        <tr>
                            <th><xsl:value-of select="current-grouping-key()"/></th>
                            <td class="num"><xsl:value-of select="sum(current-group()/xs:integer(@qty))"/></td>
                            <td class="num"><xsl:value-of select="m:format(sum(current-group()/m:line-total(.)), $orders/@currency)"/></td>
                        </tr>
                    </xsl:for-each-group>
                </table>
                <p class="printed">Printed on <xsl:value-of select="format-date(current-date(), '[D01].[M01].[Y0001]')"/></p>
            </body>
        </html>
    </xsl:template>

    <xsl:template match="order" mode="rows">
        <xsl:param name="currency" as="xs:string" tunnel="yes" required="yes"/>
        <xsl:variable name="due" select="xs:date(@date) + $term" as="xs:date"/>
        <section id="{@id}">
            <h2>Order <xsl:value-of select="@id"/></h2>
            <p>
                <xsl:text>Ordered </xsl:text>
                <xsl:value-of select="format-date(xs:date(@date), '[D01].[M01].[Y0001]')"/>
                <xsl:text>, due </xsl:text>
                <xsl:value-of select="format-date($due, '[D01].[M01].[Y0001]')"/>
                <xsl:if test="@status eq 'open' and $due lt $as-of">
                    <xsl:value-of select="concat(', overdue by ', days-from-duration($as-of - $due), ' days')"/>
                </xsl:if>
            </p>
            <!-- the imported table; its rows come back here through mode="#current" -->
            <xsl:next-match/>
            <p class="total">Total <xsl:value-of select="m:format(sum(line/m:line-total(.)), $currency)"/></p>
        </section>
    </xsl:template>

    <xsl:template match="order[@status eq 'cancelled']" mode="rows" priority="2">
        <section id="{@id}" class="cancelled"><h2>Order <xsl:value-of select="@id"/> (cancelled)</h2></section>
    </xsl:template>

    <!-- The imported row plus the amount; the currency arrives by tunnel from the root template. -->
    <xsl:template match="line" mode="rows">
        <xsl:param name="currency" as="xs:string" tunnel="yes" required="yes"/>
        <xsl:variable name="row" as="element(tr)"><xsl:next-match/></xsl:variable>
        <tr>
            <xsl:copy-of select="$row/@*, $row/td"/>
            <td class="num"><xsl:value-of select="m:format(m:line-total(.), $currency)"/></td>
        </tr>
    </xsl:template>

    <!-- Bulk lines are marked, then handled like every other line. -->
    <xsl:template match="line[xs:integer(@qty) ge 3]" mode="rows" priority="1">
        <xsl:variable name="row" as="element(tr)"><xsl:next-match/></xsl:variable>
        <tr class="bulk"><xsl:copy-of select="$row/node()"/></tr>
    </xsl:template>
</xsl:stylesheet>
