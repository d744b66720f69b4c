<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="urn:endpoints:functions"
    xmlns:uuid="java:java.util.UUID"
    xmlns:b64="java:com.offerready.xslt.xsltfunction.Base64"
    xmlns:digest="java:org.apache.commons.codec.digest.DigestUtils"
    xmlns:str="http://exslt.org/strings"
    exclude-result-prefixes="fn uuid b64 digest str">
    <xsl:output method="text"/>
    <xsl:param name="text" select="'Grüße'"/>
    <xsl:template match="/">
        <xsl:value-of select="fn:uuid()"/>|<xsl:value-of select="uuid:randomUUID()"/>|<xsl:value-of select="fn:base64-encode($text)"/>|<xsl:value-of select="b64:decode(b64:encode($text))"/>|<xsl:value-of select="fn:sha256-hex('abc')"/>|<xsl:value-of select="digest:sha256Hex('abc')"/>|<xsl:value-of select="fn:base64-decode('R3LDvMOfZQ==')"/>|<xsl:value-of select="str:replace('a-b-c', '-', '+')"/>
    </xsl:template>
</xsl:stylesheet>
