<?xml version="1.0" encoding="UTF-8"?>
<!-- Post-processing of the whole data source: categories ranked by amount, the best two named. -->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:template match="/data-source-post-processing-input">
        <xsl:variable name="ranked" as="element(category)*">
            <xsl:perform-sort select="totals/category">
                <xsl:sort select="xs:decimal(@amount)"/>
            </xsl:perform-sort>
        </xsl:variable>
        <data-source-post-processing-output>
            <xsl:copy-of select="* except totals"/>
            <ranking>
                <xsl:for-each select="reverse($ranked)">
                    <category rank="{position()}">
                        <xsl:copy-of select="@*"/>
                        <xsl:attribute name="share" select="format-number(xs:decimal(@amount) div sum($ranked/xs:decimal(@amount)), '0.0%')"/>
                    </category>
                </xsl:for-each>
                <top><xsl:value-of select="for $c in subsequence(reverse($ranked), 1, 2) return string($c/@name)" separator=", "/></top>
            </ranking>
        </data-source-post-processing-output>
    </xsl:template>
</xsl:stylesheet>
