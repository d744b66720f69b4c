<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="html"/>
    <xsl:template match="/">
        <html><body><h1>ignored heading</h1>
        <table>
            <tfoot><tr><td style="border-top: 1px solid black; font-weight: bold">Total</td><td style="font-weight: bold">1,234.50</td></tr></tfoot>
            <thead><tr><th style="text-align: center">Product</th><th>Price</th></tr></thead>
            <tbody>
                <tr><td>Sencha <span>tea</span></td><td>12.20</td></tr>
                <tr><td style="color: red">Code</td><td excel-type="text">007</td></tr>
                <tr><td colspan="2" style="color: green">Spanning <script>ignored()</script>text</td></tr>
                <tr><td></td><td> </td></tr>
                <tr><td>Nested<table><tr><td>inner</td></tr></table></td><td>-3</td></tr>
            </tbody>
        </table></body></html>
    </xsl:template>
</xsl:stylesheet>
