<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="xml" omit-xml-declaration="yes"/>
    <xsl:template match="/"><order key="{//parameter[@name='key']/@value}"/></xsl:template>
</xsl:stylesheet>
