<?xml version="1.0" encoding="UTF-8"?>
<!-- exsl:document writes a file: must be refused. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="target"/>
  <xsl:template match="/">
    <exsl:document href="{$target}" method="text">pwned</exsl:document>
    <xsl:text>done</xsl:text>
  </xsl:template>
</xsl:stylesheet>
