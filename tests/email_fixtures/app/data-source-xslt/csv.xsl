<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text" encoding="UTF-8"/>
    <xsl:template match="/">n;text&#10;<xsl:value-of select="//parameter[@name='n']/@value"/>;Grüße&#10;</xsl:template>
</xsl:stylesheet>
