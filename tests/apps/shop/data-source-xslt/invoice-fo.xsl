<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:fo="http://www.w3.org/1999/XSL/Format" exclude-result-prefixes="#all">
    <xsl:output method="xml"/>
    <xsl:template match="/">
        <xsl:variable name="order" select="string(//parameter[@name = 'order']/@value)"/>
        <fo:root>
            <fo:layout-master-set>
                <fo:simple-page-master master-name="A4" page-height="29.7cm" page-width="21cm" margin="2cm">
                    <fo:region-body/>
                </fo:simple-page-master>
            </fo:layout-master-set>
            <fo:page-sequence master-reference="A4">
                <fo:flow flow-name="xsl-region-body">
                    <fo:block><fo:external-graphic src="url('logo.png')" content-width="2cm"/></fo:block>
                    <fo:block font-size="18pt">Invoice <xsl:value-of select="upper-case($order)"/></fo:block>
                    <xsl:for-each select="tokenize('one two three', ' ')">
                        <fo:block>Line <xsl:value-of select="position()"/>: <xsl:value-of select="."/></fo:block>
                    </xsl:for-each>
                </fo:flow>
            </fo:page-sequence>
        </fo:root>
    </xsl:template>
</xsl:stylesheet>
