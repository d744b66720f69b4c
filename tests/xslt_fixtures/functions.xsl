<?xml version="1.0" encoding="UTF-8"?>
<!-- The extension functions, in the engine's namespace and in the java: namespaces of OpenEndpoints. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:f="urn:endpoints:functions"
                xmlns:uuid="java:java.util.UUID"
                xmlns:b64="java:com.offerready.xslt.xsltfunction.Base64"
                xmlns:digest="java:org.apache.commons.codec.digest.DigestUtils"
                exclude-result-prefixes="f uuid b64 digest">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="s" select="'Grüße'"/>
  <xsl:template match="/">
    <xsl:value-of select="f:uuid()"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="uuid:randomUUID()"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="f:base64-encode($s)"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="b64:encode($s)"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="f:base64-decode(f:base64-encode($s))"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="b64:decode(b64:encode($s))"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="f:sha256-hex('abc')"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="digest:sha256Hex('abc')"/><xsl:text>&#10;</xsl:text>
    <xsl:value-of select="function-available('f:sha256-hex') and function-available('digest:sha256Hex')"/>
    <xsl:text>&#10;</xsl:text>
  </xsl:template>
</xsl:stylesheet>
