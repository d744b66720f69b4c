<?xml version="1.0" encoding="UTF-8"?>
<!-- The JSON body sent to the accounting service, written as text. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:b64="java:com.offerready.xslt.xsltfunction.Base64"
    xmlns:digest="java:org.apache.commons.codec.digest.DigestUtils"
    xmlns:j="urn:example:json"
    exclude-result-prefixes="#all">

    <xsl:output method="text" encoding="UTF-8"/>

    <xsl:variable name="p" select="/parameters/parameter"/>

    <xsl:function name="j:string" as="xs:string">
        <xsl:param name="s" as="xs:string"/>
        <xsl:sequence select="concat('&quot;', replace(replace($s, '\\', '\\\\'), '&quot;', '\\&quot;'), '&quot;')"/>
    </xsl:function>

    <xsl:template match="/">
        <xsl:variable name="id" select="string($p[@name eq 'order-id']/@value)"/>
        <xsl:variable name="items" select="tokenize($p[@name eq 'items']/@value, '\|\|')"/>
        <xsl:variable name="quantities" select="for $i in $items[matches(., '^\s*[0-9]')] return xs:integer(replace($i, '^\s*([0-9]+).*$', '$1'))"/>
        <xsl:text>{</xsl:text>
        <xsl:value-of select="
            concat('&quot;order&quot;: ', j:string($id)),
            concat('&quot;amount&quot;: ', format-number(xs:decimal($p[@name eq 'amount']/@value), '0.00')),
            concat('&quot;lines&quot;: ', count($items)),
            concat('&quot;pieces&quot;: ', sum($quantities)),
            concat('&quot;note&quot;: ', j:string($p[@name eq 'note']/@value)),
            concat('&quot;note-base64&quot;: ', j:string(b64:encode($p[@name eq 'note']/@value))),
            concat('&quot;signature&quot;: ', j:string(digest:sha256Hex(concat($id, '|', $p[@name eq 'amount']/@value))))"
            separator=", "/>
        <xsl:text>}</xsl:text>
    </xsl:template>
</xsl:stylesheet>
