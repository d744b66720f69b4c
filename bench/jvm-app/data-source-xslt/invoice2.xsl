<?xml version="1.0" encoding="UTF-8"?>
<!--
  The invoice stylesheet of workload 5 (bench/xslt-app/data-source-xslt/invoice.xsl) rewritten in XSLT 2.0, for
  workload "xslt2": the same input document, the same HTML page (same tables, same numbers), written the way an
  XSLT 2.0 author would:
    * xsl:function for the line net amount and the money format (instead of named templates),
    * xsl:for-each-group for the per-category subtotals and the per-tax-rate totals (instead of Muenchian keys),
    * sum() over computed values with a for-expression (instead of tail-recursive named templates),
    * format-number with a named decimal format, string-join for the IBAN groups, upper-case.
  Runs on Saxon-HE in the engine's JVM worker (version="2.0").
-->
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:xs="http://www.w3.org/2001/XMLSchema"
                xmlns:f="urn:bench:invoice" exclude-result-prefixes="xs f">

  <xsl:output method="html" encoding="UTF-8" indent="no"
              doctype-public="-//W3C//DTD HTML 4.01//EN"
              doctype-system="http://www.w3.org/TR/html4/strict.dtd"/>

  <xsl:decimal-format name="de" decimal-separator="," grouping-separator="."/>

  <xsl:variable name="cur" as="xs:string" select="string(/*/invoice/@currency)"/>

  <!-- net amount of one line, rounded to cents -->
  <xsl:function name="f:line-net" as="xs:double">
    <xsl:param name="i" as="element(item)"/>
    <xsl:sequence select="round(number($i/quantity) * number($i/unit-price) * (1 - number($i/discount)) * 100) div 100"/>
  </xsl:function>

  <!-- sum of the line nets of some items -->
  <xsl:function name="f:net" as="xs:double">
    <xsl:param name="items" as="element(item)*"/>
    <xsl:sequence select="sum(for $i in $items return f:line-net($i))"/>
  </xsl:function>

  <!-- a number with 2 decimals, German separators, and the currency -->
  <xsl:function name="f:money" as="xs:string">
    <xsl:param name="v" as="xs:double"/>
    <xsl:sequence select="concat(format-number($v, '#.##0,00', 'de'), '&#160;', $cur)"/>
  </xsl:function>

  <xsl:function name="f:percent" as="xs:string">
    <xsl:param name="v" as="xs:double"/>
    <xsl:sequence select="concat(format-number($v * 100, '0', 'de'), '&#160;%')"/>
  </xsl:function>

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
      <xsl:apply-templates select="seller, buyer"/>
    </div>
    <xsl:apply-templates select="items"/>
    <xsl:call-template name="category-summary"/>
    <xsl:call-template name="totals"/>
    <xsl:apply-templates select="payment"/>
    <xsl:if test="normalize-space(notes)">
      <p class="notes"><xsl:value-of select="normalize-space(notes)"/></p>
    </xsl:if>
  </xsl:template>

  <xsl:template match="seller | buyer">
    <div class="party {local-name()}">
      <h3><xsl:value-of select="if (self::seller) then 'Verk&#228;ufer' else 'Rechnungsempf&#228;nger'"/></h3>
      <strong><xsl:value-of select="name"/></strong><br/>
      <xsl:value-of select="street"/><br/>
      <xsl:value-of select="string-join((concat(city/@postcode, ' ', city), country), ', ')"/><br/>
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
    <tr id="line-{@line}" class="{if (position() mod 2 = 1) then 'odd' else 'even'}">
      <td class="num"><xsl:number value="position()" format="1"/></td>
      <td><code><xsl:value-of select="@sku"/></code></td>
      <td><xsl:value-of select="description"/>
        <xsl:if test="@category = 'services'"> <em> (Dienstleistung)</em></xsl:if></td>
      <td class="num"><xsl:value-of select="string-join((quantity, quantity/@unit), ' ')"/></td>
      <td class="num"><xsl:value-of select="f:money(unit-price)"/></td>
      <td class="num"><xsl:if test="number(discount) gt 0"><xsl:value-of select="f:percent(discount)"/></xsl:if></td>
      <td class="num"><xsl:value-of select="f:money(f:line-net(.))"/></td>
      <td class="num"><xsl:value-of select="f:percent(tax-rate)"/></td>
    </tr>
  </xsl:template>

  <xsl:template name="category-summary">
    <h2>Zusammenfassung nach Warengruppe</h2>
    <table class="categories">
      <tr><th>Warengruppe</th><th>Positionen</th><th>Netto</th></tr>
      <xsl:for-each-group select="items/item" group-by="@category">
        <xsl:sort select="current-grouping-key()"/>
        <tr>
          <td><xsl:value-of select="concat(upper-case(substring(current-grouping-key(), 1, 1)), substring(current-grouping-key(), 2))"/></td>
          <td class="num"><xsl:value-of select="count(current-group())"/></td>
          <td class="num"><xsl:value-of select="f:money(f:net(current-group()))"/></td>
        </tr>
      </xsl:for-each-group>
    </table>
  </xsl:template>

  <xsl:template name="totals">
    <xsl:variable name="net" select="f:net(items/item)"/>
    <xsl:variable name="by-rate" as="element(rate)*">
      <xsl:for-each-group select="items/item" group-by="number(tax-rate)">
        <xsl:sort select="current-grouping-key()" data-type="number" order="descending"/>
        <xsl:variable name="rnet" select="f:net(current-group())"/>
        <rate value="{current-grouping-key()}" net="{$rnet}" tax="{round($rnet * current-grouping-key() * 100) div 100}"/>
      </xsl:for-each-group>
    </xsl:variable>
    <table class="totals">
      <tr><th>Summe netto</th>
        <td class="num" id="total-net"><xsl:value-of select="f:money($net)"/></td></tr>
      <xsl:for-each select="$by-rate">
        <tr><th>USt. <xsl:value-of select="f:percent(@value)"/> auf
            <xsl:value-of select="f:money(@net)"/></th>
          <td class="num"><xsl:value-of select="f:money(@tax)"/></td></tr>
      </xsl:for-each>
      <tr class="grand"><th>Gesamtbetrag</th>
        <td class="num" id="total-gross"><strong><xsl:value-of select="f:money($net + sum($by-rate/@tax))"/></strong></td></tr>
    </table>
  </xsl:template>

  <xsl:template match="payment">
    <xsl:variable name="iban" select="string(iban)"/>
    <p class="payment">Zahlbar innerhalb von <xsl:value-of select="@terms-days"/> Tagen ohne Abzug auf
      IBAN <xsl:value-of select="string-join(for $k in 0 to (string-length($iban) - 1) idiv 4
                                             return substring($iban, $k * 4 + 1, 4), ' ')"/>
      (BIC <xsl:value-of select="bic"/>), Verwendungszweck: <xsl:value-of select="reference"/>.</p>
  </xsl:template>

</xsl:stylesheet>
