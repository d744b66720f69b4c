<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html" encoding="UTF-8" doctype-system="about:legacy-compat"/>
    <xsl:template match="/">
        <xsl:variable name="problem" select="//problem"/>
        <html lang="en">
            <head><title>Please check the form</title></head>
            <body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;">
                <h1>Please check the form</h1>
                <xsl:choose>
                    <xsl:when test="normalize-space($problem) != ''">
                        <p class="problem"><xsl:value-of select="$problem"/></p>
                    </xsl:when>
                    <xsl:otherwise>
                        <p class="problem">Your message could not be sent.</p>
                    </xsl:otherwise>
                </xsl:choose>
                <p><a href="javascript:history.back()">Back to the form</a></p>
                <p style="color: #888; font-size: .8rem">Reference: <xsl:value-of select="$problem/@request-id"/></p>
            </body>
        </html>
    </xsl:template>
</xsl:stylesheet>
