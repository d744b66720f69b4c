<?xml version="1.0" encoding="UTF-8"?>
<!-- Checks a room booking form and derives what the confirmation needs: the departure date, the guest list, a
     booking reference. The first problem found becomes the <error> shown by the endpoint's error page. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:b="urn:example:booking"
    exclude-result-prefixes="#all">

    <xsl:variable name="request" select="/parameter-transformation-input/input-from-request"/>

    <xsl:function name="b:param" as="xs:string">
        <xsl:param name="name" as="xs:string"/>
        <xsl:sequence select="string($request/parameter[@name eq $name]/@value)"/>
    </xsl:function>

    <xsl:template match="/">
        <xsl:variable name="arrival-text" select="normalize-space(b:param('arrival'))"/>
        <!-- Only what the request sent is here: a missing "nights" means the endpoint's default, one night. -->
        <xsl:variable name="nights-text" select="(normalize-space(b:param('nights'))[. ne ''], '1')[1]"/>
        <xsl:variable name="email" select="lower-case(normalize-space(b:param('email')))"/>
        <xsl:variable name="all-guests" select="for $g in tokenize(b:param('guests'), '\|\|') return normalize-space($g)"/>
        <xsl:variable name="guests" select="$all-guests[. ne '']"/>
        <xsl:variable name="closed" select="/parameter-transformation-input/closed/day/xs:date(.)"/>
        <parameter-transformation-output>
            <xsl:choose>
                <xsl:when test="not(matches($email, '^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$'))">
                    <error>Please enter a valid e-mail address (you entered '<xsl:value-of select="b:param('email')"/>').</error>
                </xsl:when>
                <xsl:when test="not($arrival-text castable as xs:date)">
                    <error>The arrival date '<xsl:value-of select="$arrival-text"/>' is not a date (YYYY-MM-DD).</error>
                </xsl:when>
                <xsl:when test="not(matches($nights-text, '^[1-9][0-9]?$'))">
                    <error>Please book between 1 and 99 nights.</error>
                </xsl:when>
                <xsl:when test="empty($guests)">
                    <error>Please name at least one guest.</error>
                </xsl:when>
                <xsl:otherwise>
                    <xsl:variable name="arrival" select="xs:date($arrival-text)"/>
                    <xsl:variable name="nights" select="xs:integer($nights-text)"/>
                    <xsl:variable name="departure" select="$arrival + $nights * xs:dayTimeDuration('P1D')"/>
                    <xsl:variable name="stay" select="for $i in 0 to $nights - 1 return $arrival + $i * xs:dayTimeDuration('P1D')"/>
                    <xsl:variable name="blocked" select="$stay[. = $closed]"/>
                    <xsl:choose>
                        <xsl:when test="exists($blocked)">
                            <error>We are closed on <xsl:value-of select="for $d in $blocked return format-date($d, '[D01].[M01].[Y0001]')" separator=" and "/>.</error>
                        </xsl:when>
                        <xsl:otherwise>
                            <parameter name="arrival" value="{$arrival}"/>
                            <parameter name="nights" value="{$nights}"/>
                            <parameter name="email" value="{$email}"/>
                            <parameter name="guests" value="{string-join(distinct-values($guests), '; ')}"/>
                            <parameter name="departure">
                                <xsl:attribute name="value" select="$departure"/>
                            </parameter>
                            <parameter name="weekday" value="{format-date($arrival, '[FNn]', 'en', (), ())}"/>
                            <parameter name="guest-count" value="{count(distinct-values($guests))}"/>
                            <parameter name="reference">
                                <xsl:attribute name="value" select="concat(upper-case(replace($email, '@.*$', '')), '-', format-date($arrival, '[Y0001][M01][D01]'), '-', $nights)"/>
                            </parameter>
                        </xsl:otherwise>
                    </xsl:choose>
                </xsl:otherwise>
            </xsl:choose>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
