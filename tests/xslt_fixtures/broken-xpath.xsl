<?xml version="1.0" encoding="UTF-8"?>
<!-- Compile error on line 7: invalid XPath. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:text>count: </xsl:text>
    <xsl:value-of select="count(//item[@price >])"/>
  </xsl:template>
</xsl:stylesheet>
