<?xml version="1.0" encoding="UTF-8"?>
<!-- Post-processing of fetched exchange rates: one element per currency, rounded, with the rate's age in days. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:template match="/data-source-post-processing-input">
        <xsl:variable name="fetched" select="fetched-rates"/>
        <!-- The service answers XML (<rates><rate currency=…>) or JSON (<rates><USD>…); both are read here. -->
        <xsl:variable name="rates" as="element()*" select="$fetched//rates/rate, $fetched//rates/*[not(self::rate)]"/>
        <xsl:variable name="published" select="xs:date(($fetched//@date, $fetched//date)[1])"/>
        <data-source-post-processing-output>
            <exchange base="{($fetched//@base, $fetched//base)[1]}" published="{format-date($published, '[D01].[M01].[Y0001]')}"
                      valid-until="{$published + xs:dayTimeDuration('P1D')}">
                <xsl:for-each select="$rates">
                    <xsl:sort select="(@currency, local-name(.))[1]"/>
                    <xsl:variable name="code" select="string((@currency, node-name(.))[1])"/>
                    <rate currency="{$code}" value="{format-number(xs:decimal(.), '0.00')}"
                          inverse="{format-number(1 div xs:decimal(.), '0.0000')}"
                          major="{matches($code, '^(USD|GBP|JPY|CHF)$')}"/>
                </xsl:for-each>
            </exchange>
        </data-source-post-processing-output>
    </xsl:template>
</xsl:stylesheet>
