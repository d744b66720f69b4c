<?xml version="1.0" encoding="UTF-8"?>
<!-- A machine-readable digest of the order book and the service notes: products, the latest orders, runs of equal
     status, weekly counts, invoice references and contact data found in the notes. -->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:f="urn:example:digest"
    exclude-result-prefixes="#all">

    <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

    <xsl:variable name="input" select="/transformation-input" as="element(transformation-input)"/>
    <xsl:variable name="week" select="xs:dayTimeDuration('P7D')"/>
    <!-- Chosen when the stylesheet is compiled -->
    <xsl:variable name="family" as="xs:string" select="'saxon'" use-when="system-property('xsl:product-name') eq 'SAXON'"/>
    <xsl:variable name="family" as="xs:string" select="'other'" use-when="not(system-property('xsl:product-name') eq 'SAXON')"/>

    <!-- Every SKU of the given orders, in document order, repeats kept. -->
    <xsl:function name="f:skus" as="xs:string*">
        <xsl:param name="orders" as="element(order)*"/>
        <xsl:sequence select="for $l in $orders/line return string($l/@sku)"/>
    </xsl:function>

    <xsl:function name="f:quarter" as="xs:integer">
        <xsl:param name="d" as="xs:date"/>
        <xsl:sequence select="(month-from-date($d) - 1) idiv 3 + 1"/>
    </xsl:function>

    <xsl:function name="f:is-email" as="xs:boolean">
        <xsl:param name="s" as="xs:string?"/>
        <xsl:sequence select="matches(string($s), '^[^@\s]+@[^@\s]+\.[a-z]{2,}$', 'i')"/>
    </xsl:function>

    <xsl:template match="/">
        <digest>
            <xsl:attribute name="customer" select="normalize-space($input/orders/@customer)"/>
            <engine family="{$family}">
                <xslt-3 xsl:use-when="xs:decimal(system-property('xsl:version')) ge 3.0"/>
            </engine>
            <xsl:apply-templates select="$input/orders"/>
            <xsl:apply-templates select="$input/notes/note"/>
            <xsl:apply-templates select="$input/parameters"/>
        </digest>
    </xsl:template>

    <xsl:template match="orders">
        <xsl:variable name="skus" select="f:skus(order)"/>
        <xsl:variable name="distinct" select="distinct-values($skus)"/>
        <products count="{count($distinct)}" lines="{count($skus)}">
            <xsl:for-each select="$distinct">
                <product sku="{.}" first="{index-of($skus, .)[1]}" times="{count(index-of($skus, .))}"/>
            </xsl:for-each>
        </products>
        <latest>
            <xsl:for-each select="subsequence(reverse(order), 1, 2)">
                <order>
                    <xsl:attribute name="id" select="@id"/>
                    <xsl:attribute name="quarter" select="f:quarter(xs:date(@date))"/>
                    <xsl:attribute name="marks" select="string-join(for $i in 1 to xs:integer(sum(line/@qty)) return string($i), '-')"/>
                </order>
            </xsl:for-each>
        </latest>
        <status-runs>
            <xsl:for-each-group select="order" group-adjacent="string(@status)">
                <run status="{current-grouping-key()}" orders="{string-join(current-group()/@id, ' ')}"/>
            </xsl:for-each-group>
        </status-runs>
        <fields>
            <xsl:for-each select="order[1]/@*">
                <field name="{node-name(.)}" value="{.}"/>
            </xsl:for-each>
        </fields>
        <xsl:variable name="dates" select="order/xs:date(@date)" as="xs:date*"/>
        <xsl:variable name="first" select="min($dates)" as="xs:date"/>
        <xsl:variable name="n" select="xs:integer(ceiling((max($dates) - $first) div $week)) + 1" as="xs:integer"/>
        <weeks from="{$first}" count="{$n}">
            <xsl:for-each select="for $i in 1 to $n return $first + ($i - 1) * $week">
                <xsl:variable name="start" select="." as="xs:date"/>
                <week start="{$start}" orders="{count($dates[. ge $start and . lt $start + $week])}"/>
            </xsl:for-each>
        </weeks>
    </xsl:template>

    <xsl:template match="note">
        <note>
            <xsl:attribute name="author" select="string(@author) cast as xs:token"/>
            <xsl:for-each select="tokenize(normalize-space(@tags), '\s*,\s*')">
                <tag><xsl:value-of select="."/></tag>
            </xsl:for-each>
            <xsl:analyze-string select="." regex="INV-([0-9]{{4}})-([0-9]+)|\+[0-9][0-9 ()\-]*[0-9]|[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[a-z]{{2,}}">
                <xsl:matching-substring>
                    <xsl:choose>
                        <xsl:when test="regex-group(1)">
                            <invoice year="{regex-group(1)}" number="{xs:integer(regex-group(2))}"/>
                        </xsl:when>
                        <xsl:when test="f:is-email(.)">
                            <email domain="{replace(., '^.*@', '')}"><xsl:value-of select="."/></email>
                        </xsl:when>
                        <xsl:otherwise>
                            <phone><xsl:value-of select="replace(., '[^0-9+]', '')"/></phone>
                        </xsl:otherwise>
                    </xsl:choose>
                </xsl:matching-substring>
            </xsl:analyze-string>
            <xsl:apply-templates select="." mode="paragraphs"/>
        </note>
    </xsl:template>

    <!-- Lines that start with "- " become lists, the others paragraphs. -->
    <xsl:template match="note" mode="paragraphs">
        <xsl:for-each-group select="tokenize(., '\n')[normalize-space()]" group-adjacent="starts-with(normalize-space(.), '- ')">
            <xsl:choose>
                <xsl:when test="current-grouping-key()">
                    <list>
                        <xsl:for-each select="current-group()">
                            <item><xsl:value-of select="substring-after(normalize-space(.), '- ')"/></item>
                        </xsl:for-each>
                    </list>
                </xsl:when>
                <xsl:otherwise>
                    <para><xsl:value-of select="normalize-space(string-join(current-group(), ' '))"/></para>
                </xsl:otherwise>
            </xsl:choose>
        </xsl:for-each-group>
    </xsl:template>

    <xsl:template match="parameters">
        <xsl:variable name="email" select="parameter[@name eq 'email']/@value"/>
        <request id="{parameter[@name eq 'request-id']/@value}">
            <xsl:if test="exists($email) and $email ne ''">
                <xsl:attribute name="email-valid" select="f:is-email($email)"/>
            </xsl:if>
            <xsl:for-each select="parameter[@name ne 'request-id']">
                <xsl:sort select="@name"/>
                <xsl:element name="{@name}"><xsl:value-of select="@value"/></xsl:element>
            </xsl:for-each>
        </request>
    </xsl:template>
</xsl:stylesheet>
