<?xml version="1.0" encoding="UTF-8"?>
<!-- String parameters are taken literally (never evaluated as XPath), but still compare numerically. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="p" select="'default'"/>
  <xsl:param name="limit" select="0"/>
  <xsl:template match="/">
    <xsl:text>p=[</xsl:text><xsl:value-of select="$p"/><xsl:text>]&#10;</xsl:text>
    <xsl:text>cheap=</xsl:text><xsl:value-of select="count(//item[unit-price &lt;= $limit])"/><xsl:text>&#10;</xsl:text>
  </xsl:template>
</xsl:stylesheet>
