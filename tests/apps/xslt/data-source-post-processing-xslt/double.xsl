<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <data-source-post-processing-output>
            <xsl:for-each select="//n"><n><xsl:value-of select=". * 2"/></n></xsl:for-each>
        </data-source-post-processing-output>
    </xsl:template>
</xsl:stylesheet>
