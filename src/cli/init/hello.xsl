<?xml version="1.0" encoding="UTF-8"?>
<!-- Two top-level elements become {"greeting": "Hello, world!", "name": "world"}. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="xml"/>
    <xsl:variable name="name" select="//parameter[@name='name']/@value"/>
    <xsl:template match="/">
        <greeting>Hello, <xsl:value-of select="$name"/>!</greeting>
        <name><xsl:value-of select="$name"/></name>
    </xsl:template>
</xsl:stylesheet>
