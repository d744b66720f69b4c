<?xml version="1.0" encoding="UTF-8"?>
<!-- document() of a file inside the application directory (relative to this stylesheet). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:variable name="lookup" select="document('data/lookup.xml')/lookup"/>
  <xsl:template match="/">
    <xsl:value-of select="$lookup/entry[@key = current()/invoice/@currency]"/>
  </xsl:template>
</xsl:stylesheet>
