<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:template match="/">error: <xsl:value-of select="/transformation-input/parameters/parameter[@name='parameter-transformation-error-text']/@value"/></xsl:template>
</xsl:stylesheet>
