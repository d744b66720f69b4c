<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" encoding="UTF-8" doctype-system="about:legacy-compat"/>
    <xsl:param name="shop"/>
    <xsl:variable name="category" select="//parameter[@name='category']/@value"/>
    <xsl:template match="/">
        <html lang="en">
            <head><title><xsl:value-of select="$shop"/></title></head>
            <body>
                <h1><xsl:value-of select="$shop"/></h1>
                <table>
                    <tr><th>Product</th><th>Price (EUR)</th></tr>
                    <xsl:for-each select="//product[$category = '' or @category = $category]">
                        <xsl:sort select="name"/>
                        <tr><td><xsl:value-of select="name"/></td><td><xsl:value-of select="format-number(price, '0.00')"/></td></tr>
                    </xsl:for-each>
                </table>
            </body>
        </html>
    </xsl:template>
</xsl:stylesheet>
