<?xml version="1.0" encoding="UTF-8"?>
<!-- method xml: indent, cdata-section-elements, a non-UTF-8 encoding (characters outside Latin-1 become
     character references), comments, processing instructions, namespaces, copy-of, a string parameter. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:example:catalog" xmlns:x="urn:example:extra"
                exclude-result-prefixes="c">
  <xsl:output method="xml" indent="yes" encoding="ISO-8859-1" cdata-section-elements="script snippet"
              media-type="application/vnd.example+xml"/>
  <xsl:param name="p"/>

  <xsl:template match="/">
    <xsl:processing-instruction name="xml-stylesheet">href="style.css" type="text/css"</xsl:processing-instruction>
    <xsl:comment> generated for <xsl:value-of select="$p"/> </xsl:comment>
    <report param="{$p}" count="{count(c:catalog/c:product)}">
      <xsl:for-each select="c:catalog/c:product">
        <xsl:sort select="c:price" data-type="number" order="descending"/>
        <item id="{@id}" origin="{@x:origin}">
          <title><xsl:value-of select="c:name"/></title>
          <snippet><xsl:value-of select="c:code"/></snippet>
          <xsl:if test="string(c:note)"><note><xsl:value-of select="c:note"/></note></xsl:if>
          <x:price><xsl:value-of select="format-number(c:price, '#,##0.00')"/></x:price>
          <empty/>
        </item>
      </xsl:for-each>
      <script>var q = '<xsl:value-of select="$p"/>'; if (a &lt; b) {}</script>
      <raw><xsl:copy-of select="c:catalog/c:product[1]/c:note | c:catalog/c:product[position() != 2]/c:code"/></raw>
    </report>
  </xsl:template>
</xsl:stylesheet>
