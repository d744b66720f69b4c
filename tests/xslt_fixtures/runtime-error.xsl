<?xml version="1.0" encoding="UTF-8"?>
<!-- Compiles, fails at run time on line 6: a function nobody registered. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:nope="urn:nope">
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:value-of select="nope:missing(1)"/>
  </xsl:template>
</xsl:stylesheet>
