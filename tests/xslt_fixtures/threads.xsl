<?xml version="1.0" encoding="UTF-8"?>
<!-- For the concurrency test: keys, generate-id, sort, format-number, xsl:number, EXSLT, an extension function
     and two string parameters that differ per thread and per iteration. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:str="http://exslt.org/strings" xmlns:f="urn:endpoints:functions"
                exclude-result-prefixes="str f">
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>
  <xsl:param name="thread"/>
  <xsl:param name="iteration"/>
  <xsl:key name="by-category" match="item" use="@category"/>
  <xsl:template match="/invoice">
    <result thread="{$thread}" iteration="{$iteration}" hash="{f:sha256-hex(concat($thread, '/', $iteration))}">
      <xsl:for-each select="items/item[generate-id() = generate-id(key('by-category', @category)[1])]">
        <xsl:sort select="@category" order="descending"/>
        <category n="{position()}" name="{str:replace(@category, 's', 'S')}">
          <xsl:number value="count(key('by-category', @category))" format="i"/>
          <xsl:text> </xsl:text>
          <xsl:value-of select="format-number(sum(key('by-category', @category)/unit-price), '#,##0.00')"/>
        </category>
      </xsl:for-each>
    </result>
  </xsl:template>
</xsl:stylesheet>
