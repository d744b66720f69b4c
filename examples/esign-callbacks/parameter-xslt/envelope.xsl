<?xml version="1.0" encoding="UTF-8"?>
<!-- Takes the envelope id and status from the JSON body: {"id": "…", "status": "COMPLETED", …}. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/">
        <xsl:variable name="j" select="/parameter-transformation-input/input-from-request/json"/>
        <parameter-transformation-output>
            <xsl:choose>
                <xsl:when test="not($j/id) or not($j/status)"><error>The callback needs "id" and "status".</error></xsl:when>
                <xsl:otherwise>
                    <parameter name="envelope" value="{$j/id}"/>
                    <parameter name="status" value="{$j/status}"/>
                </xsl:otherwise>
            </xsl:choose>
        </parameter-transformation-output>
    </xsl:template>
</xsl:stylesheet>
