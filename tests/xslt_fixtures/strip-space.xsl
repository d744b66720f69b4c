<?xml version="1.0" encoding="UTF-8"?>
<!-- xsl:strip-space makes libxslt remove whitespace nodes from the input tree itself. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:strip-space elements="*"/>
  <xsl:template match="/">
    <xsl:value-of select="count(//text())"/>
  </xsl:template>
</xsl:stylesheet>
