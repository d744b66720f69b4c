<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:f="urn:endpoints:functions">
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:value-of select="f:base64-decode('this is not base64!')"/>
  </xsl:template>
</xsl:stylesheet>
