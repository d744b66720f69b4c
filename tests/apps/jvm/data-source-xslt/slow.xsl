<?xml version="1.0" encoding="UTF-8"?>
<!-- Runs for hours: the call timeout must end it. -->
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:template match="/">
        <xsl:value-of select="sum(for $i in 1 to 2000000000, $j in 1 to 2000000000 return ($i * $j) mod 7)"/>
    </xsl:template>
</xsl:stylesheet>
