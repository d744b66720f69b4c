<?xml version="1.0" encoding="UTF-8"?>
<!-- document() of a sandboxed file that declares an external entity: the entity must not be expanded. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:template match="/">
    <xsl:value-of select="document('data/xxe.xml')/x"/>
  </xsl:template>
</xsl:stylesheet>
