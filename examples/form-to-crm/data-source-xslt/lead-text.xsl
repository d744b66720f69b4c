<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text" encoding="UTF-8"/>
    <xsl:template match="/">New lead <xsl:value-of select="//intermediate-value[@name='lead-id']/@value | //parameter[@name='lead-id']/@value"/>
Name: <xsl:value-of select="//parameter[@name='name']/@value"/>
E-mail: <xsl:value-of select="//parameter[@name='email']/@value"/>
Message: <xsl:value-of select="//parameter[@name='message']/@value"/>
</xsl:template>
</xsl:stylesheet>
