<?xml version="1.0" encoding="UTF-8"?>
<!-- Says version="2.0" but uses nothing beyond XSLT 1.0, as many stylesheets written for the reference do. -->
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" encoding="UTF-8"/>
    <xsl:template match="/">
        <html>
            <head><title>Orders of <xsl:value-of select="/transformation-input/orders/@customer"/></title></head>
            <body>
                <ul>
                    <xsl:for-each select="/transformation-input/orders/order">
                        <xsl:sort select="@date" order="descending"/>
                        <li class="{@status}">
                            <xsl:value-of select="@id"/>
                            <xsl:text>: </xsl:text>
                            <xsl:value-of select="count(line)"/>
                            <xsl:choose>
                                <xsl:when test="count(line) = 1"> line</xsl:when>
                                <xsl:otherwise> lines</xsl:otherwise>
                            </xsl:choose>
                            <xsl:if test="line[@category = 'tea']"> (tea)</xsl:if>
                        </li>
                    </xsl:for-each>
                </ul>
                <p>Items: <xsl:value-of select="sum(/transformation-input/orders/order/line/@qty)"/></p>
                <br/>
            </body>
        </html>
    </xsl:template>
</xsl:stylesheet>
