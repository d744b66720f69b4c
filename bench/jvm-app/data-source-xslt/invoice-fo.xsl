<?xml version="1.0" encoding="UTF-8"?>
<!--
  Workload "pdf": a one-page A4 invoice as XSL-FO (logo from static/, addresses, a table of the 10 lines of
  xml-from-application/invoice-10.xml, totals per tax rate, payment terms, a footer with the page number).
  XSLT 1.0 on purpose: the transformation runs in-process on libxslt, so the workload measures FOP (the FO → PDF
  rendering in the JVM worker) and the way there, not Saxon. The transformer "invoice-fo" answers this FO as text:
  the exact document that the FOP anchor (bench/fop/FopWarm.java) renders.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:fo="http://www.w3.org/1999/XSL/Format">
  <xsl:output method="xml" encoding="UTF-8" indent="no"/>

  <xsl:decimal-format name="de" decimal-separator="," grouping-separator="."/>
  <xsl:key name="by-rate" match="item" use="tax-rate"/>
  <xsl:variable name="inv" select="/*/invoice"/>
  <xsl:variable name="cur" select="$inv/@currency"/>

  <xsl:template name="money">
    <xsl:param name="v"/>
    <xsl:value-of select="concat(format-number($v, '#.##0,00', 'de'), '&#160;', $cur)"/>
  </xsl:template>

  <xsl:template name="sum-net">
    <xsl:param name="items"/>
    <xsl:param name="acc" select="0"/>
    <xsl:choose>
      <xsl:when test="$items">
        <xsl:variable name="i" select="$items[1]"/>
        <xsl:call-template name="sum-net">
          <xsl:with-param name="items" select="$items[position() &gt; 1]"/>
          <xsl:with-param name="acc" select="$acc + round($i/quantity * $i/unit-price * (1 - $i/discount) * 100) div 100"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$acc"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:attribute-set name="cell">
    <xsl:attribute name="padding">2pt 4pt</xsl:attribute>
    <xsl:attribute name="border-bottom">0.5pt solid #cccccc</xsl:attribute>
  </xsl:attribute-set>
  <xsl:attribute-set name="num" use-attribute-sets="cell">
    <xsl:attribute name="text-align">end</xsl:attribute>
  </xsl:attribute-set>

  <xsl:template match="/">
    <fo:root font-family="Helvetica" font-size="9pt" language="de">
      <fo:layout-master-set>
        <fo:simple-page-master master-name="A4" page-height="29.7cm" page-width="21cm"
                               margin-top="1.5cm" margin-bottom="1.5cm" margin-left="2cm" margin-right="2cm">
          <fo:region-body margin-top="2.5cm" margin-bottom="1.5cm"/>
          <fo:region-before extent="2.2cm"/>
          <fo:region-after extent="1cm"/>
        </fo:simple-page-master>
      </fo:layout-master-set>
      <fo:page-sequence master-reference="A4">
        <fo:static-content flow-name="xsl-region-before">
          <fo:table table-layout="fixed" width="100%">
            <fo:table-column column-width="50%"/>
            <fo:table-column column-width="50%"/>
            <fo:table-body>
              <fo:table-row>
                <fo:table-cell>
                  <fo:block><fo:external-graphic src="url('logo.png')" content-width="5cm" content-height="scale-to-fit"/></fo:block>
                </fo:table-cell>
                <fo:table-cell text-align="end" font-size="8pt">
                  <xsl:for-each select="$inv/seller">
                    <fo:block font-weight="bold"><xsl:value-of select="name"/></fo:block>
                    <fo:block><xsl:value-of select="street"/></fo:block>
                    <fo:block><xsl:value-of select="concat(city/@postcode, ' ', city, ', ', country)"/></fo:block>
                    <fo:block>USt-IdNr.: <xsl:value-of select="vat"/></fo:block>
                  </xsl:for-each>
                </fo:table-cell>
              </fo:table-row>
            </fo:table-body>
          </fo:table>
        </fo:static-content>
        <fo:static-content flow-name="xsl-region-after">
          <fo:block font-size="7pt" color="#666666" text-align="center" border-top="0.5pt solid #999999" padding-top="3pt">
            <xsl:value-of select="$inv/seller/name"/> · IBAN <xsl:value-of select="$inv/payment/iban"/> · BIC
            <xsl:value-of select="$inv/payment/bic"/> · Seite <fo:page-number/> von <fo:page-number-citation ref-id="end"/>
          </fo:block>
        </fo:static-content>
        <fo:flow flow-name="xsl-region-body">
          <xsl:apply-templates select="$inv"/>
          <fo:block id="end"/>
        </fo:flow>
      </fo:page-sequence>
    </fo:root>
  </xsl:template>

  <xsl:template match="invoice">
    <fo:block font-size="7pt" color="#666666" space-after="2pt">
      <xsl:value-of select="concat(seller/name, ' · ', seller/street, ' · ', seller/city/@postcode, ' ', seller/city)"/>
    </fo:block>
    <xsl:for-each select="buyer">
      <fo:block font-weight="bold"><xsl:value-of select="name"/></fo:block>
      <fo:block><xsl:value-of select="street"/></fo:block>
      <fo:block space-after="1cm"><xsl:value-of select="concat(city/@postcode, ' ', city, ', ', country)"/></fo:block>
    </xsl:for-each>
    <fo:block font-size="16pt" font-weight="bold" space-after="4pt">Rechnung <xsl:value-of select="@id"/></fo:block>
    <fo:block space-after="12pt">Datum: <xsl:value-of select="@date"/> · Fällig: <xsl:value-of select="@due"/>
      · Kundennummer: <xsl:value-of select="buyer/@id"/> · USt-IdNr.: <xsl:value-of select="buyer/vat"/></fo:block>
    <xsl:apply-templates select="items"/>
    <fo:block space-before="12pt">Zahlbar innerhalb von <xsl:value-of select="payment/@terms-days"/> Tagen ohne Abzug,
      Verwendungszweck: <xsl:value-of select="payment/reference"/>.</fo:block>
    <fo:block space-before="6pt" font-size="8pt" color="#444444"><xsl:value-of select="normalize-space(notes)"/></fo:block>
  </xsl:template>

  <xsl:template match="items">
    <xsl:variable name="net">
      <xsl:call-template name="sum-net"><xsl:with-param name="items" select="item"/></xsl:call-template>
    </xsl:variable>
    <fo:table table-layout="fixed" width="100%" border-collapse="collapse">
      <fo:table-column column-width="1.1cm"/>
      <fo:table-column column-width="2.3cm"/>
      <fo:table-column column-width="5.2cm"/>
      <fo:table-column column-width="1.5cm"/>
      <fo:table-column column-width="2.4cm"/>
      <fo:table-column column-width="1.3cm"/>
      <fo:table-column column-width="3.2cm"/>
      <fo:table-header font-weight="bold" background-color="#e8e8e8">
        <fo:table-row>
          <fo:table-cell xsl:use-attribute-sets="num"><fo:block>Pos.</fo:block></fo:table-cell>
          <fo:table-cell xsl:use-attribute-sets="cell"><fo:block>Artikel</fo:block></fo:table-cell>
          <fo:table-cell xsl:use-attribute-sets="cell"><fo:block>Bezeichnung</fo:block></fo:table-cell>
          <fo:table-cell xsl:use-attribute-sets="num"><fo:block>Menge</fo:block></fo:table-cell>
          <fo:table-cell xsl:use-attribute-sets="num"><fo:block>Einzelpreis</fo:block></fo:table-cell>
          <fo:table-cell xsl:use-attribute-sets="num"><fo:block>Rabatt</fo:block></fo:table-cell>
          <fo:table-cell xsl:use-attribute-sets="num"><fo:block>Netto</fo:block></fo:table-cell>
        </fo:table-row>
      </fo:table-header>
      <fo:table-footer>
        <fo:table-row>
          <fo:table-cell number-columns-spanned="6" xsl:use-attribute-sets="num"><fo:block>Summe netto</fo:block></fo:table-cell>
          <fo:table-cell xsl:use-attribute-sets="num"><fo:block><xsl:call-template name="money"><xsl:with-param name="v" select="$net"/></xsl:call-template></fo:block></fo:table-cell>
        </fo:table-row>
        <xsl:for-each select="item[generate-id() = generate-id(key('by-rate', tax-rate)[1])]">
          <xsl:sort select="tax-rate" data-type="number" order="descending"/>
          <xsl:variable name="rnet">
            <xsl:call-template name="sum-net"><xsl:with-param name="items" select="key('by-rate', tax-rate)"/></xsl:call-template>
          </xsl:variable>
          <fo:table-row>
            <fo:table-cell number-columns-spanned="6" xsl:use-attribute-sets="num"><fo:block>USt. <xsl:value-of select="format-number(tax-rate * 100, '0', 'de')"/>&#160;%</fo:block></fo:table-cell>
            <fo:table-cell xsl:use-attribute-sets="num"><fo:block><xsl:call-template name="money"><xsl:with-param name="v" select="round($rnet * tax-rate * 100) div 100"/></xsl:call-template></fo:block></fo:table-cell>
          </fo:table-row>
        </xsl:for-each>
      </fo:table-footer>
      <fo:table-body>
        <xsl:for-each select="item">
          <fo:table-row>
            <xsl:if test="position() mod 2 = 0"><xsl:attribute name="background-color">#f6f6f6</xsl:attribute></xsl:if>
            <fo:table-cell xsl:use-attribute-sets="num"><fo:block><xsl:value-of select="position()"/></fo:block></fo:table-cell>
            <fo:table-cell xsl:use-attribute-sets="cell"><fo:block font-family="Courier"><xsl:value-of select="@sku"/></fo:block></fo:table-cell>
            <fo:table-cell xsl:use-attribute-sets="cell"><fo:block><xsl:value-of select="description"/></fo:block></fo:table-cell>
            <fo:table-cell xsl:use-attribute-sets="num"><fo:block><xsl:value-of select="concat(quantity, ' ', quantity/@unit)"/></fo:block></fo:table-cell>
            <fo:table-cell xsl:use-attribute-sets="num"><fo:block><xsl:call-template name="money"><xsl:with-param name="v" select="unit-price"/></xsl:call-template></fo:block></fo:table-cell>
            <fo:table-cell xsl:use-attribute-sets="num"><fo:block><xsl:if test="discount &gt; 0"><xsl:value-of select="format-number(discount * 100, '0', 'de')"/>&#160;%</xsl:if></fo:block></fo:table-cell>
            <fo:table-cell xsl:use-attribute-sets="num"><fo:block><xsl:call-template name="money"><xsl:with-param name="v" select="round(quantity * unit-price * (1 - discount) * 100) div 100"/></xsl:call-template></fo:block></fo:table-cell>
          </fo:table-row>
        </xsl:for-each>
      </fo:table-body>
    </fo:table>
    <xsl:variable name="tax-rows">
      <xsl:for-each select="item[generate-id() = generate-id(key('by-rate', tax-rate)[1])]">
        <xsl:variable name="rnet">
          <xsl:call-template name="sum-net"><xsl:with-param name="items" select="key('by-rate', tax-rate)"/></xsl:call-template>
        </xsl:variable>
        <t><xsl:value-of select="round($rnet * tax-rate * 100) div 100"/></t>
      </xsl:for-each>
    </xsl:variable>
    <fo:block space-before="6pt" text-align="end" font-size="11pt" font-weight="bold">Gesamtbetrag:
      <xsl:call-template name="money"><xsl:with-param name="v" select="$net + sum(exsl:node-set($tax-rows)/t)" xmlns:exsl="http://exslt.org/common"/></xsl:call-template></fo:block>
  </xsl:template>
</xsl:stylesheet>
