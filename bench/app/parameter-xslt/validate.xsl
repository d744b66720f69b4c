<?xml version="1.0" encoding="UTF-8"?>
<!--
  Parameter validation for the `validate` endpoint of the benchmark application (workload 6 of bench/run.sh).

  The anchor harness's parameter check, adapted to the engine's documents:
  In:  <parameter-transformation-input><input-from-request><parameter name="..." value="..."/>...
       (the hash is among the parameters and is skipped)
  Out: <parameter-transformation-output> with the parameters when every check passes, else one <error> listing the
       failures (the engine answers 400 with it).
  The checks themselves (templates in modes "check" and "rule", the tail-recursive error count, the missing-required
  pass) are unchanged, so the engine runs the same XSLT work as the anchor's libxslt loop.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="DIGITS" select="'0123456789'"/>
  <xsl:variable name="UPPER" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="LOWER" select="'abcdefghijklmnopqrstuvwxyz'"/>
  <xsl:variable name="EMAIL_CHARS"
      select="concat($UPPER, $LOWER, $DIGITS, '.-_+')"/>
  <xsl:variable name="REQUIRED" select="' customer_id email quantity currency amount '"/>
  <xsl:variable name="KNOWN"
      select="' customer_id email quantity country postcode order_date currency amount phone callback_url '"/>
  <!-- the request's parameters, without the hash (which the engine passes on too) -->
  <xsl:variable name="params" select="/parameter-transformation-input/input-from-request/parameter[@name != 'hash']"/>

  <!-- ===== root ===== -->
  <xsl:template match="/parameter-transformation-input">
    <xsl:variable name="n-param-errors">
      <xsl:call-template name="count-errors">
        <xsl:with-param name="ps" select="$params"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="missing">
      <xsl:call-template name="missing-required">
        <xsl:with-param name="list" select="normalize-space($REQUIRED)"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="n-missing"
        select="string-length($missing) - string-length(translate($missing, ' ', ''))"/>
    <xsl:variable name="n" select="$n-param-errors + $n-missing"/>
    <parameter-transformation-output>
      <xsl:choose>
        <xsl:when test="$n = 0">
          <xsl:apply-templates select="$params"/>
        </xsl:when>
        <xsl:otherwise>
          <error>
            <xsl:value-of select="concat($n, ' invalid parameter(s):')"/>
            <xsl:for-each select="$params">
              <xsl:variable name="e"><xsl:apply-templates select="." mode="check"/></xsl:variable>
              <xsl:if test="string($e) != ''">
                <xsl:value-of select="concat(' ', @name, ' ', substring-after($e, '|'), ';')"/>
              </xsl:if>
            </xsl:for-each>
            <xsl:if test="normalize-space($missing) != ''">
              <xsl:value-of select="concat(' missing: ', normalize-space($missing))"/>
            </xsl:if>
          </error>
        </xsl:otherwise>
      </xsl:choose>
    </parameter-transformation-output>
  </xsl:template>

  <!-- ===== copy each valid parameter (its check runs again, as in params.xsl) ===== -->
  <xsl:template match="parameter">
    <xsl:variable name="e"><xsl:apply-templates select="." mode="check"/></xsl:variable>
    <xsl:if test="string($e) = ''">
      <parameter name="{@name}" value="{@value}"/>
    </xsl:if>
  </xsl:template>

  <!-- ===== error counting (second pass, tail recursive) ===== -->
  <xsl:template name="count-errors">
    <xsl:param name="ps"/>
    <xsl:param name="n" select="0"/>
    <xsl:choose>
      <xsl:when test="$ps">
        <xsl:variable name="e"><xsl:apply-templates select="$ps[1]" mode="check"/></xsl:variable>
        <xsl:call-template name="count-errors">
          <xsl:with-param name="ps" select="$ps[position() &gt; 1]"/>
          <xsl:with-param name="n" select="$n + number(string($e) != '')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$n"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- returns the space-terminated names of required parameters that are absent -->
  <xsl:template name="missing-required">
    <xsl:param name="list"/>
    <xsl:if test="$list != ''">
      <xsl:variable name="head">
        <xsl:choose>
          <xsl:when test="contains($list, ' ')"><xsl:value-of select="substring-before($list, ' ')"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="$list"/></xsl:otherwise>
        </xsl:choose>
      </xsl:variable>
      <xsl:if test="not($params[@name = $head and normalize-space(@value) != ''])">
        <xsl:value-of select="concat($head, ' ')"/>
      </xsl:if>
      <xsl:call-template name="missing-required">
        <xsl:with-param name="list" select="substring-after($list, ' ')"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <xsl:template name="emit-missing">
    <xsl:param name="list"/>
    <xsl:if test="$list != ''">
      <xsl:variable name="head">
        <xsl:choose>
          <xsl:when test="contains($list, ' ')"><xsl:value-of select="substring-before($list, ' ')"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="$list"/></xsl:otherwise>
        </xsl:choose>
      </xsl:variable>
      <parameter name="{$head}" missing="true">
        <error code="required">parameter is required</error>
      </parameter>
      <xsl:call-template name="emit-missing">
        <xsl:with-param name="list" select="substring-after($list, ' ')"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- ===== checks: each returns "code|message" or nothing ===== -->

  <!-- generic checks that apply before the per-name rule -->
  <xsl:template match="parameter" mode="check" priority="10">
    <xsl:choose>
      <xsl:when test="not(contains($KNOWN, concat(' ', @name, ' ')))">unknown|parameter is not accepted by this endpoint</xsl:when>
      <xsl:when test="preceding-sibling::parameter[@name = current()/@name]">duplicate|parameter given more than once</xsl:when>
      <xsl:when test="normalize-space(@value) = '' and contains($REQUIRED, concat(' ', @name, ' '))">required|value must not be empty</xsl:when>
      <xsl:when test="string-length(@value) &gt; 256">length|value longer than 256 characters</xsl:when>
      <xsl:otherwise><xsl:apply-templates select="." mode="rule"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ^C-[0-9]{3,10}$ -->
  <xsl:template match="parameter[@name = 'customer_id']" mode="rule">
    <xsl:variable name="n" select="substring(@value, 3)"/>
    <xsl:if test="not(starts-with(@value, 'C-') and string-length($n) &gt;= 3 and string-length($n) &lt;= 10
                  and translate($n, $DIGITS, '') = '')">pattern|must match C-NNN (3 to 10 digits)</xsl:if>
  </xsl:template>

  <!-- ^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$ (approximately) -->
  <xsl:template match="parameter[@name = 'email']" mode="rule">
    <xsl:variable name="v" select="@value"/>
    <xsl:variable name="local" select="substring-before($v, '@')"/>
    <xsl:variable name="domain" select="substring-after($v, '@')"/>
    <xsl:choose>
      <xsl:when test="$local = '' or $domain = '' or contains($domain, '@')">pattern|must contain exactly one @ with text on both sides</xsl:when>
      <xsl:when test="translate($local, $EMAIL_CHARS, '') != '' or translate($domain, $EMAIL_CHARS, '') != ''">pattern|invalid characters in e-mail address</xsl:when>
      <xsl:when test="not(contains($domain, '.')) or starts-with($domain, '.') or substring($domain, string-length($domain)) = '.' or contains($domain, '..')">pattern|domain must be a dotted host name</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- ^[0-9]{1,3}$, 1..999 -->
  <xsl:template match="parameter[@name = 'quantity']" mode="rule">
    <xsl:choose>
      <xsl:when test="translate(@value, $DIGITS, '') != '' or string-length(@value) &gt; 3">pattern|must be an integer</xsl:when>
      <xsl:when test="number(@value) &lt; 1 or number(@value) &gt; 999">range|must be between 1 and 999</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- ^[A-Z]{2}$ -->
  <xsl:template match="parameter[@name = 'country']" mode="rule">
    <xsl:if test="string-length(@value) != 2 or translate(@value, $UPPER, '') != ''">pattern|must be an ISO 3166 alpha-2 code in upper case</xsl:if>
  </xsl:template>

  <!-- ^[0-9]{5}$ -->
  <xsl:template match="parameter[@name = 'postcode']" mode="rule">
    <xsl:if test="string-length(@value) != 5 or translate(@value, $DIGITS, '') != ''">pattern|must be 5 digits</xsl:if>
  </xsl:template>

  <!-- ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ plus a real calendar check (leap years) -->
  <xsl:template match="parameter[@name = 'order_date']" mode="rule">
    <xsl:variable name="v" select="@value"/>
    <xsl:variable name="y" select="number(substring($v, 1, 4))"/>
    <xsl:variable name="m" select="number(substring($v, 6, 2))"/>
    <xsl:variable name="d" select="number(substring($v, 9, 2))"/>
    <xsl:variable name="leap" select="($y mod 4 = 0 and $y mod 100 != 0) or $y mod 400 = 0"/>
    <xsl:variable name="mdays">
      <xsl:choose>
        <xsl:when test="$m = 2 and $leap">29</xsl:when>
        <xsl:when test="$m = 2">28</xsl:when>
        <xsl:when test="$m = 4 or $m = 6 or $m = 9 or $m = 11">30</xsl:when>
        <xsl:otherwise>31</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="string-length($v) != 10 or substring($v, 5, 1) != '-' or substring($v, 8, 1) != '-'
                      or translate(concat(substring($v, 1, 4), substring($v, 6, 2), substring($v, 9, 2)), $DIGITS, '') != ''">pattern|must be YYYY-MM-DD</xsl:when>
      <xsl:when test="$m &lt; 1 or $m &gt; 12">range|month out of range</xsl:when>
      <xsl:when test="$d &lt; 1 or $d &gt; $mdays">range|day out of range for this month</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- ^(EUR|USD|GBP|CHF)$ -->
  <xsl:template match="parameter[@name = 'currency']" mode="rule">
    <xsl:if test="string-length(@value) != 3 or not(contains(' EUR USD GBP CHF ', concat(' ', @value, ' ')))">enum|must be one of EUR, USD, GBP, CHF</xsl:if>
  </xsl:template>

  <!-- ^[0-9]+(\.[0-9]{1,2})?$, > 0 -->
  <xsl:template match="parameter[@name = 'amount']" mode="rule">
    <xsl:variable name="v" select="@value"/>
    <xsl:choose>
      <xsl:when test="translate($v, concat($DIGITS, '.'), '') != '' or number($v) != number($v)
                      or starts-with($v, '.') or contains(substring-after($v, '.'), '.')">pattern|must be a decimal number</xsl:when>
      <xsl:when test="string-length(substring-after($v, '.')) &gt; 2">pattern|at most 2 decimal places</xsl:when>
      <xsl:when test="number($v) &lt;= 0">range|must be positive</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- ^\+[0-9 ]{7,20}$ with 7..15 digits -->
  <xsl:template match="parameter[@name = 'phone']" mode="rule">
    <xsl:variable name="digits" select="translate(substring(@value, 2), ' ', '')"/>
    <xsl:if test="not(starts-with(@value, '+')) or translate($digits, $DIGITS, '') != ''
                  or string-length($digits) &lt; 7 or string-length($digits) &gt; 15">pattern|must be +CC followed by 7 to 15 digits</xsl:if>
  </xsl:template>

  <!-- ^https://[^/ ]+(/.*)?$ -->
  <xsl:template match="parameter[@name = 'callback_url']" mode="rule">
    <xsl:variable name="rest" select="substring-after(@value, 'https://')"/>
    <xsl:variable name="host">
      <xsl:choose>
        <xsl:when test="contains($rest, '/')"><xsl:value-of select="substring-before($rest, '/')"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$rest"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="not(starts-with(@value, 'https://')) or $host = '' or contains(@value, ' ')">pattern|must be an https:// URL</xsl:if>
  </xsl:template>

  <xsl:template match="parameter" mode="rule"/>

</xsl:stylesheet>
