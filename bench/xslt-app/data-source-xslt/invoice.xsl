<?xml version="1.0" encoding="UTF-8"?>
<!-- Copied from the shared benchmark fixtures; the three root paths read /*/invoice because the engine puts the
     data source output under <transformation-input>. -->
<!--
  Reference transformation for the XSLT anchors: invoice XML (fixtures/invoice.xml,
  50 line items, ~12 KB) to a self-contained HTML page.

  Deliberately XSLT 1.0 only (runs unchanged on libxslt/xsltproc and Saxon-HE) and
  deliberately "realistic" rather than minimal:
    * line table with computed net amounts, zebra rows, format-number with a named
      decimal format (German separators),
    * Muenchian grouping (xsl:key) for per-category subtotals and per-tax-rate totals,
    * the XSLT 1.0 idiom for summing computed values: a tail-recursive named template,
    * conditional content (discount column only shows non-zero discounts),
    * attribute value templates, string functions, xsl:number.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:output method="html" encoding="UTF-8" indent="no"
              doctype-public="-//W3C//DTD HTML 4.01//EN"
              doctype-system="http://www.w3.org/TR/html4/strict.dtd"/>

  <xsl:decimal-format name="de" decimal-separator="," grouping-separator="."/>

  <xsl:key name="by-category" match="item" use="@category"/>
  <xsl:key name="by-rate" match="item" use="tax-rate"/>

  <xsl:variable name="cur" select="/*/invoice/@currency"/>

  <!-- money: format a number with 2 decimals, German separators -->
  <xsl:template name="money">
    <xsl:param name="v"/>
    <xsl:value-of select="format-number($v, '#.##0,00', 'de')"/>
    <xsl:text>&#160;</xsl:text>
    <xsl:value-of select="$cur"/>
  </xsl:template>

  <!-- net amount of one line, rounded to cents -->
  <xsl:template name="line-net">
    <xsl:param name="i"/>
    <xsl:value-of select="round($i/quantity * $i/unit-price * (1 - $i/discount) * 100) div 100"/>
  </xsl:template>

  <!-- tail-recursive sum of line nets over a node-set of items -->
  <xsl:template name="sum-net">
    <xsl:param name="items"/>
    <xsl:param name="acc" select="0"/>
    <xsl:choose>
      <xsl:when test="$items">
        <xsl:variable name="first" select="$items[1]"/>
        <xsl:call-template name="sum-net">
          <xsl:with-param name="items" select="$items[position() &gt; 1]"/>
          <xsl:with-param name="acc"
              select="$acc + round($first/quantity * $first/unit-price * (1 - $first/discount) * 100) div 100"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$acc"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- sum of tax over the distinct tax rates (each rate: round(net * rate)) -->
  <xsl:template name="sum-tax">
    <xsl:param name="rates"/>
    <xsl:param name="acc" select="0"/>
    <xsl:choose>
      <xsl:when test="$rates">
        <xsl:variable name="rate" select="$rates[1]/tax-rate"/>
        <xsl:variable name="net">
          <xsl:call-template name="sum-net">
            <xsl:with-param name="items" select="key('by-rate', $rate)"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:call-template name="sum-tax">
          <xsl:with-param name="rates" select="$rates[position() &gt; 1]"/>
          <xsl:with-param name="acc" select="$acc + round($net * $rate * 100) div 100"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$acc"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/">
    <html lang="de">
      <head>
        <meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>
        <title>Rechnung <xsl:value-of select="*/invoice/@id"/></title>
        <style type="text/css">
          body { font-family: sans-serif; font-size: 10pt; }
          table.lines { border-collapse: collapse; width: 100%; }
          table.lines td, table.lines th { padding: 2px 6px; border-bottom: 1px solid #ddd; }
          tr.odd { background: #f6f6f6; } td.num { text-align: right; }
          .party { display: inline-block; width: 45%; vertical-align: top; }
        </style>
      </head>
      <body>
        <xsl:apply-templates select="*/invoice"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="invoice">
    <h1>Rechnung <xsl:value-of select="@id"/></h1>
    <p class="meta">Datum: <xsl:value-of select="@date"/>
      &#183; F&#228;llig: <xsl:value-of select="@due"/>
      &#183; Kundennummer: <xsl:value-of select="buyer/@id"/></p>
    <div class="parties">
      <xsl:apply-templates select="seller | buyer"/>
    </div>
    <xsl:apply-templates select="items"/>
    <xsl:call-template name="category-summary"/>
    <xsl:call-template name="totals"/>
    <xsl:apply-templates select="payment"/>
    <xsl:if test="string-length(normalize-space(notes)) &gt; 0">
      <p class="notes"><xsl:value-of select="normalize-space(notes)"/></p>
    </xsl:if>
  </xsl:template>

  <xsl:template match="seller | buyer">
    <div class="party {local-name()}">
      <h3>
        <xsl:choose>
          <xsl:when test="self::seller">Verk&#228;ufer</xsl:when>
          <xsl:otherwise>Rechnungsempf&#228;nger</xsl:otherwise>
        </xsl:choose>
      </h3>
      <strong><xsl:value-of select="name"/></strong><br/>
      <xsl:value-of select="street"/><br/>
      <xsl:value-of select="concat(city/@postcode, ' ', city, ', ', country)"/><br/>
      USt-IdNr.: <xsl:value-of select="vat"/>
    </div>
  </xsl:template>

  <xsl:template match="items">
    <table class="lines">
      <thead>
        <tr><th>Pos.</th><th>Artikel</th><th>Bezeichnung</th><th>Menge</th>
            <th>Einzelpreis</th><th>Rabatt</th><th>Netto</th><th>USt.</th></tr>
      </thead>
      <tbody>
        <xsl:apply-templates select="item"/>
      </tbody>
    </table>
  </xsl:template>

  <xsl:template match="item">
    <xsl:variable name="net">
      <xsl:call-template name="line-net"><xsl:with-param name="i" select="."/></xsl:call-template>
    </xsl:variable>
    <tr id="line-{@line}">
      <xsl:attribute name="class">
        <xsl:choose>
          <xsl:when test="position() mod 2 = 1">odd</xsl:when>
          <xsl:otherwise>even</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <td class="num"><xsl:number value="position()" format="1"/></td>
      <td><code><xsl:value-of select="@sku"/></code></td>
      <td><xsl:value-of select="description"/>
        <xsl:if test="@category = 'services'"> <em> (Dienstleistung)</em></xsl:if></td>
      <td class="num"><xsl:value-of select="concat(quantity, ' ', quantity/@unit)"/></td>
      <td class="num"><xsl:call-template name="money"><xsl:with-param name="v" select="unit-price"/></xsl:call-template></td>
      <td class="num">
        <xsl:if test="discount &gt; 0">
          <xsl:value-of select="format-number(discount * 100, '0', 'de')"/>&#160;%</xsl:if>
      </td>
      <td class="num"><xsl:call-template name="money"><xsl:with-param name="v" select="$net"/></xsl:call-template></td>
      <td class="num"><xsl:value-of select="format-number(tax-rate * 100, '0', 'de')"/>&#160;%</td>
    </tr>
  </xsl:template>

  <xsl:template name="category-summary">
    <h2>Zusammenfassung nach Warengruppe</h2>
    <table class="categories">
      <tr><th>Warengruppe</th><th>Positionen</th><th>Netto</th></tr>
      <xsl:for-each select="items/item[generate-id() = generate-id(key('by-category', @category)[1])]">
        <xsl:sort select="@category"/>
        <xsl:variable name="group" select="key('by-category', @category)"/>
        <xsl:variable name="net">
          <xsl:call-template name="sum-net"><xsl:with-param name="items" select="$group"/></xsl:call-template>
        </xsl:variable>
        <tr>
          <td><xsl:value-of select="concat(translate(substring(@category, 1, 1), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), substring(@category, 2))"/></td>
          <td class="num"><xsl:value-of select="count($group)"/></td>
          <td class="num"><xsl:call-template name="money"><xsl:with-param name="v" select="$net"/></xsl:call-template></td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template name="totals">
    <xsl:variable name="net">
      <xsl:call-template name="sum-net"><xsl:with-param name="items" select="items/item"/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="rates" select="items/item[generate-id() = generate-id(key('by-rate', tax-rate)[1])]"/>
    <xsl:variable name="tax">
      <xsl:call-template name="sum-tax"><xsl:with-param name="rates" select="$rates"/></xsl:call-template>
    </xsl:variable>
    <table class="totals">
      <tr><th>Summe netto</th>
        <td class="num" id="total-net"><xsl:call-template name="money"><xsl:with-param name="v" select="$net"/></xsl:call-template></td></tr>
      <xsl:for-each select="$rates">
        <xsl:sort select="tax-rate" data-type="number" order="descending"/>
        <xsl:variable name="rnet">
          <xsl:call-template name="sum-net"><xsl:with-param name="items" select="key('by-rate', tax-rate)"/></xsl:call-template>
        </xsl:variable>
        <tr><th>USt. <xsl:value-of select="format-number(tax-rate * 100, '0', 'de')"/>&#160;% auf
            <xsl:call-template name="money"><xsl:with-param name="v" select="$rnet"/></xsl:call-template></th>
          <td class="num"><xsl:call-template name="money"><xsl:with-param name="v" select="round($rnet * tax-rate * 100) div 100"/></xsl:call-template></td></tr>
      </xsl:for-each>
      <tr class="grand"><th>Gesamtbetrag</th>
        <td class="num" id="total-gross"><strong><xsl:call-template name="money"><xsl:with-param name="v" select="$net + $tax"/></xsl:call-template></strong></td></tr>
    </table>
  </xsl:template>

  <xsl:template match="payment">
    <p class="payment">Zahlbar innerhalb von <xsl:value-of select="@terms-days"/> Tagen ohne Abzug auf
      IBAN <xsl:value-of select="concat(substring(iban, 1, 4), ' ', substring(iban, 5, 4), ' ', substring(iban, 9, 4), ' ', substring(iban, 13, 4), ' ', substring(iban, 17, 4), ' ', substring(iban, 21))"/>
      (BIC <xsl:value-of select="bic"/>), Verwendungszweck: <xsl:value-of select="reference"/>.</p>
  </xsl:template>

</xsl:stylesheet>
