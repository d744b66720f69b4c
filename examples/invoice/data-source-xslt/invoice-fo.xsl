<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:fo="http://www.w3.org/1999/XSL/Format">
    <xsl:output method="xml" encoding="UTF-8"/>
    <xsl:variable name="p" select="//parameters"/>
    <xsl:template match="/">
        <fo:root>
            <fo:layout-master-set>
                <fo:simple-page-master master-name="A4" page-height="29.7cm" page-width="21cm" margin="2cm"><fo:region-body/></fo:simple-page-master>
            </fo:layout-master-set>
            <fo:page-sequence master-reference="A4">
                <fo:flow flow-name="xsl-region-body">
                    <fo:block font-size="22pt" font-weight="bold">Invoice <xsl:value-of select="$p/parameter[@name='number']/@value"/></fo:block>
                    <fo:block space-before="1cm">Customer: <xsl:value-of select="$p/parameter[@name='customer']/@value"/></fo:block>
                    <fo:block>Amount due: EUR <xsl:value-of select="$p/parameter[@name='amount']/@value"/></fo:block>
                    <xsl:for-each select="$p/file-upload">
                        <fo:block space-before="0.5cm">Enclosure: <xsl:value-of select="@upload-filename"/></fo:block>
                    </xsl:for-each>
                </fo:flow>
            </fo:page-sequence>
        </fo:root>
    </xsl:template>
</xsl:stylesheet>
