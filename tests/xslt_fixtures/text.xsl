<?xml version="1.0" encoding="UTF-8"?>
<!-- method text: Muenchian grouping, keys, sort, format-number, a string parameter, non-ASCII text. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8" media-type="text/plain"/>
  <xsl:param name="p"/>
  <xsl:key name="by-category" match="item" use="@category"/>

  <xsl:template match="/invoice">
    <xsl:text>Rechnung </xsl:text><xsl:value-of select="@id"/><xsl:text> für </xsl:text>
    <xsl:value-of select="buyer/name"/><xsl:text>&#10;Parameter: </xsl:text><xsl:value-of select="$p"/>
    <xsl:text>&#10;</xsl:text>
    <xsl:for-each select="items/item[generate-id() = generate-id(key('by-category', @category)[1])]">
      <xsl:sort select="@category"/>
      <xsl:variable name="group" select="key('by-category', @category)"/>
      <xsl:value-of select="@category"/><xsl:text>: </xsl:text>
      <xsl:value-of select="count($group)"/><xsl:text> Positionen, Menge </xsl:text>
      <xsl:value-of select="format-number(sum($group/quantity), '#,##0')"/>
      <xsl:text>&#10;</xsl:text>
    </xsl:for-each>
    <xsl:text>&lt;Ende&gt; &amp; “fertig”&#10;</xsl:text>
  </xsl:template>
</xsl:stylesheet>
