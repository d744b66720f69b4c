<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" encoding="UTF-8"/>
    <xsl:template match="/">
        <html>
            <head><title>Echo</title><style>h1 { color: #2457c5; }</style></head>
            <body>
                <h1 id="greeting">
                    <xsl:value-of select="//parameter[@name='greeting']/@value"/>
                    <xsl:text>, </xsl:text>
                    <xsl:value-of select="//parameter[@name='who']/@value"/>
                    <xsl:text>!</xsl:text>
                </h1>
                <ul>
                    <xsl:for-each select="//file-upload">
                        <li class="upload"><xsl:value-of select="@upload-filename"/></li>
                    </xsl:for-each>
                </ul>
            </body>
        </html>
    </xsl:template>
</xsl:stylesheet>
