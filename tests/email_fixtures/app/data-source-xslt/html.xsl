<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" encoding="UTF-8"/>
    <xsl:template match="/">
        <html><body>
            <p>Order <xsl:value-of select="//parameter[@name='n']/@value"/>: Grüße</p>
            <img src="cid:img/logo.png"/>
            <img src="cid:img/banner.gif"/>
            <img src="cid:img/logo.png"/>
        </body></html>
    </xsl:template>
</xsl:stylesheet>
