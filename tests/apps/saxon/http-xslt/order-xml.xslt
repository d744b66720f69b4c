<?xml version="1.0" encoding="UTF-8"?>
<!-- The XML body sent to the fulfilment service: one <item> per "2x SKU" entry of the items parameter. -->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:ef="urn:endpoints:functions"
    exclude-result-prefixes="#all">

    <xsl:output method="xml" encoding="UTF-8" omit-xml-declaration="yes"/>

    <xsl:variable name="p" select="/parameters/parameter"/>

    <xsl:template match="/">
        <xsl:variable name="id" select="string($p[@name eq 'order-id']/@value)"/>
        <fulfilment-order xmlns="urn:example:fulfilment" id="{$id}" request="{$p[@name eq 'request-id']/@value}">
            <xsl:attribute name="checksum" select="ef:sha256-hex($id)"/>
            <xsl:for-each select="tokenize($p[@name eq 'items']/@value, '\|\|')">
                <xsl:analyze-string select="normalize-space(.)" regex="^([0-9]+)\s*x\s*(\S+)$">
                    <xsl:matching-substring>
                        <item sku="{regex-group(2)}" quantity="{xs:integer(regex-group(1))}"/>
                    </xsl:matching-substring>
                    <xsl:non-matching-substring>
                        <unreadable><xsl:value-of select="."/></unreadable>
                    </xsl:non-matching-substring>
                </xsl:analyze-string>
            </xsl:for-each>
        </fulfilment-order>
    </xsl:template>
</xsl:stylesheet>
