<?xml version="1.0" encoding="UTF-8"?>
<!-- The item of a JSON ({"item": …}) or XML (<order item="…"/>) body. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <xsl:variable name="in" select="/parameter-transformation-input/input-from-request"/>
        <parameter-transformation-output>
            <parameter name="item" value="{$in/json/item}{$in/xml/order/@item}"/>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
