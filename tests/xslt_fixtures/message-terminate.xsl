<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:text>partial output</xsl:text>
    <xsl:if test="count(//item) &gt; 10">
      <xsl:message terminate="yes">too many items: <xsl:value-of select="count(//item)"/></xsl:message>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
