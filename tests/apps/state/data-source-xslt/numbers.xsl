<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:template match="/">
        <xsl:variable name="n" select="/transformation-input/on-demand-incrementing-number"/>
        <xsl:if test="/transformation-input/parameters/parameter[@name='fail']/@value = 'yes'">
            <xsl:message terminate="yes">failing on purpose after fetching the numbers</xsl:message>
        </xsl:if>
        <xsl:value-of select="concat($n[@type='perpetual'][1], ' ', $n[@type='year'], ' ', $n[@type='month'], ' ', $n[@type='perpetual'][2])"/>
    </xsl:template>
</xsl:stylesheet>
