<?xml version="1.0" encoding="UTF-8"?>
<!-- Compile error on line 6: unknown XSLT element. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:vaule-of select="1"/>
  </xsl:template>
</xsl:stylesheet>
