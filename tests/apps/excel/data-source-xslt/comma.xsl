<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html"/>
    <xsl:template match="/"><table><tr><td>1.234,56</td><td>12,5</td></tr></table></xsl:template>
</xsl:stylesheet>
