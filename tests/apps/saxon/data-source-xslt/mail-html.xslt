<?xml version="1.0" encoding="UTF-8"?>
<!-- The HTML part of the order confirmation e-mail. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:ef="urn:endpoints:functions"
    exclude-result-prefixes="#all">

    <xsl:output method="html" encoding="UTF-8" indent="no"/>

    <xsl:variable name="p" select="/transformation-input/parameters/parameter"/>

    <xsl:template match="/">
        <xsl:variable name="wanted" select="tokenize($p[@name eq 'orders']/@value, '\|\|')"/>
        <html>
            <body>
                <p>Dear <xsl:value-of select="$p[@name eq 'name']/@value"/>,</p>
                <table>
                    <xsl:for-each-group select="/transformation-input/orders/order[@id = $wanted]" group-by="@status">
                        <tr><th colspan="2"><xsl:value-of select="upper-case(current-grouping-key())"/></th></tr>
                        <xsl:for-each select="current-group()">
                            <tr><td><xsl:value-of select="@id"/></td><td><xsl:value-of select="string-join(line/@sku, ', ')"/></td></tr>
                        </xsl:for-each>
                    </xsl:for-each-group>
                </table>
                <p class="check">Check: <xsl:value-of select="substring(ef:sha256-hex(string-join($wanted, ',')), 1, 12)"/></p>
            </body>
        </html>
    </xsl:template>
</xsl:stylesheet>
