<?xml version="1.0" encoding="UTF-8"?>
<!-- EXSLT modules registered by exsltRegisterAll: str, math, set, exsl, date, dyn-free. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:str="http://exslt.org/strings" xmlns:math="http://exslt.org/math"
                xmlns:set="http://exslt.org/sets" xmlns:exsl="http://exslt.org/common"
                xmlns:date="http://exslt.org/dates-and-times"
                extension-element-prefixes="exsl str math set date">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:template match="/">
    <xsl:variable name="rtf"><a>3</a><a>11</a><a>7</a></xsl:variable>
    <xsl:text>replace=</xsl:text><xsl:value-of select="str:replace('a-b-c', '-', '+')"/><xsl:text>&#10;</xsl:text>
    <xsl:text>tokens=</xsl:text>
    <xsl:for-each select="str:tokenize('x,y,z', ',')"><xsl:value-of select="."/>;</xsl:for-each><xsl:text>&#10;</xsl:text>
    <xsl:text>max=</xsl:text><xsl:value-of select="math:max(exsl:node-set($rtf)/a)"/><xsl:text>&#10;</xsl:text>
    <xsl:text>distinct=</xsl:text><xsl:value-of select="count(set:distinct(//item/@category))"/><xsl:text>&#10;</xsl:text>
    <xsl:text>year=</xsl:text><xsl:value-of select="date:year(/invoice/@date)"/><xsl:text>&#10;</xsl:text>
  </xsl:template>
</xsl:stylesheet>
