<?xml version="1.0" encoding="UTF-8"?>
<!-- The error page of the booking form: the message of the parameter transformation and the parameters the error
     action sees. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    exclude-result-prefixes="#all">

    <xsl:output method="html" encoding="UTF-8" indent="no"/>

    <xsl:template match="/transformation-input">
        <xsl:variable name="message" select="normalize-space(failure)"/>
        <html>
            <head><title>Please check your booking</title></head>
            <body>
                <p class="error"><xsl:value-of select="replace($message, '^Parameter transformation contained &lt;error&gt;: ', '')"/></p>
                <dl>
                    <xsl:for-each select="parameters/parameter[@value ne ''][@name ne 'request-id']">
                        <dt><xsl:value-of select="@name"/></dt>
                        <dd><xsl:value-of select="@value"/></dd>
                    </xsl:for-each>
                </dl>
                <p class="reference">Reference <xsl:value-of select="failure/@request"/></p>
            </body>
        </html>
    </xsl:template>
</xsl:stylesheet>
