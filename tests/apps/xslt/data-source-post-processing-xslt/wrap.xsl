<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <data-source-post-processing-output>
            <sum><xsl:value-of select="sum(//n)"/></sum>
            <xsl:copy-of select="//n"/>
        </data-source-post-processing-output>
    </xsl:template>
</xsl:stylesheet>
