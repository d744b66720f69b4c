<?xml version="1.0" encoding="UTF-8"?>
<!-- The engine's extension functions called from XSLT 2.0, one result per line (name=value). -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:ef="urn:endpoints:functions"
    xmlns:b64="java:com.offerready.xslt.xsltfunction.Base64"
    xmlns:digest="java:org.apache.commons.codec.digest.DigestUtils"
    exclude-result-prefixes="#all">

    <xsl:output method="text" encoding="UTF-8" media-type="text/x-check-results"/>

    <xsl:variable name="text" select="string(/transformation-input/text)" as="xs:string"/>

    <xsl:template match="/">
        <xsl:variable name="ids" select="(ef:uuid(), ef:uuid())"/>
        <xsl:variable name="encoded" select="ef:base64-encode($text)"/>
        <xsl:value-of select="
            concat('uuid-1=', $ids[1]),
            concat('uuid-2=', $ids[2]),
            concat('uuids-differ=', $ids[1] ne $ids[2]),
            concat('base64=', $encoded),
            concat('java-base64=', b64:encode($text)),
            concat('round-trip=', ef:base64-decode($encoded) eq $text),
            concat('decoded=', ef:base64-decode('R3LDvMOfZSBhdXMgV2llbg==')),
            concat('sha256=', ef:sha256-hex($text)),
            concat('java-sha256=', digest:sha256Hex($text)),
            concat('sha256-length=', string-length(ef:sha256-hex(''))),
            concat('upper=', upper-case(ef:sha256-hex('abc')))"
            separator="&#10;"/>
        <xsl:text>&#10;</xsl:text>
    </xsl:template>
</xsl:stylesheet>
