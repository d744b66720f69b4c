<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="xml"/>
    <xsl:template match="/">
        <products>
            <xsl:for-each select="//product">
                <product id="{@id}" category="{@category}" name="{name}" price="{price}"/>
            </xsl:for-each>
        </products>
    </xsl:template>
</xsl:stylesheet>
