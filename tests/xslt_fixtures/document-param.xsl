<?xml version="1.0" encoding="UTF-8"?>
<!-- document($uri): the URI comes from a parameter (absolute paths, file:// and http:// URLs). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="uri"/>
  <xsl:template match="/">
    <xsl:text>[</xsl:text><xsl:value-of select="document($uri)"/><xsl:text>]</xsl:text>
  </xsl:template>
</xsl:stylesheet>
