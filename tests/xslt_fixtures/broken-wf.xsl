<?xml version="1.0" encoding="UTF-8"?>
<!-- Not well-formed: line 6 closes the wrong element. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/">
    <out>
    </xsl:template>
</xsl:stylesheet>
