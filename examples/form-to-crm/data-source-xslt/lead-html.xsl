<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" encoding="UTF-8"/>
    <xsl:template match="/">
        <html><body>
            <h1>New lead from <xsl:value-of select="//parameter[@name='name']/@value"/></h1>
            <p>E-mail: <xsl:value-of select="//parameter[@name='email']/@value"/></p>
            <p><xsl:value-of select="//parameter[@name='message']/@value"/></p>
        </body></html>
    </xsl:template>
</xsl:stylesheet>
