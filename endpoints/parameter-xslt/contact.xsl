<?xml version="1.0" encoding="UTF-8"?>
<!-- Checks the contact form before anything else happens. An <error> answers the visitor with its text (through
     the endpoint's <error>, which renders it with ${parameter-transformation-error-text}); otherwise the
     <parameter>s become the endpoint's parameters. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="xml" encoding="UTF-8"/>
    <xsl:variable name="in" select="/parameter-transformation-input/input-from-request"/>
    <xsl:variable name="name" select="normalize-space($in/parameter[@name='name']/@value)"/>
    <xsl:variable name="email" select="normalize-space($in/parameter[@name='email']/@value)"/>
    <xsl:variable name="message" select="$in/parameter[@name='message']/@value"/>
    <xsl:variable name="language" select="$in/parameter[@name='language']/@value"/>
    <xsl:template match="/">
        <parameter-transformation-output>
            <xsl:choose>
                <xsl:when test="$name = ''">
                    <error>Please enter your name.</error>
                </xsl:when>
                <xsl:when test="not(contains($email, '@')) or not(contains(substring-after($email, '@'), '.'))">
                    <error>Please enter a valid e-mail address (you entered '<xsl:value-of select="$email"/>').</error>
                </xsl:when>
                <xsl:when test="string-length($message) &gt; 2000">
                    <error>Your message is too long: at most 2000 characters, please.</error>
                </xsl:when>
                <xsl:otherwise>
                    <parameter name="name" value="{$name}"/>
                    <parameter name="email" value="{$email}"/>
                    <parameter name="message" value="{$message}"/>
                    <xsl:if test="$language = 'de' or $language = 'en'">
                        <parameter name="language" value="{$language}"/>
                    </xsl:if>
                </xsl:otherwise>
            </xsl:choose>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
