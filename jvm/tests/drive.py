#!/usr/bin/env python3
"""Maintainer tool: builds the JVM worker (jvm/src), starts it and drives it over its stdin/stdout protocol.

    python3 jvm/tests/drive.py            # the checks; ends with "N passed, N failed"
    python3 jvm/tests/drive.py --bench    # also: start-up time to READY, PDFs/s, transforms/s

Standard library only. Needs javac/java 17+ and Debian's Saxon-HE and FOP jars (or ENDPOINTS_JVM_CLASSPATH).
"""

import argparse
import contextlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src" / "endpoints" / "worker"

JARS = [
    "Saxon-HE", "commons-io", "xml-apis", "batik-all", "commons-logging", "xercesImpl",
    "xmlgraphics-commons", "xml-apis-ext", "fontbox2", "fop",
]
DEFAULT_CLASSPATH = ":".join([f"/usr/share/java/{j}.jar" for j in JARS] + ["/usr/share/fop/fop-hyph.jar"])
JAVA_FLAGS = [
    "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
    "-Dorg.apache.commons.logging.Log=org.apache.commons.logging.impl.NoOpLog",
]

COMPILE_XSLT, TRANSFORM, RELEASE_XSLT, FOP_CONFIGURE, RENDER_PDF, RELEASE_FOP, PING, CANCEL = range(1, 9)
READY, OK, ERROR = 0x80, 0x81, 0x82


# ------------------------------------------------------------------------------------------------------------
# Protocol

def u32(n):
    return struct.pack(">I", n)


def u64(n):
    return struct.pack(">Q", n)


def string(s):
    b = s.encode("utf-8")
    return u32(len(b)) + b


def blob(b):
    return u32(len(b)) + b


def strings(items):
    return u32(len(items)) + b"".join(string(s) for s in items)


class Payload:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def u32(self):
        (v,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return v

    def bytes(self):
        n = self.u32()
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def str(self):
        return self.bytes().decode("utf-8")


def diagnostics(payload):
    p = Payload(payload)
    return [dict(file=p.str(), line=p.u32(), column=p.u32(), message=p.str()) for _ in range(p.u32())]


class Worker:
    """A running worker: frames are read by a thread and kept by id until asked for."""

    def __init__(self, classes, classpath, threads=2, stderr=None):
        cmd = ["java", *JAVA_FLAGS, "-cp", f"{classes}:{classpath}", "endpoints.worker.Main", "--threads",
               str(threads)]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr if stderr is not None else subprocess.DEVNULL)
        self.frames = {}
        self.cond = threading.Condition()
        self.eof = False
        self.lock = threading.Lock()
        self.next_id = 1000
        threading.Thread(target=self._read, daemon=True).start()
        kind, payload = self.wait(0, timeout=60)
        assert kind == READY, f"first frame is 0x{kind:02x}, not READY"
        self.ready_after = time.monotonic() - self.started
        self.description = Payload(payload).str()

    def _read(self):
        out = self.proc.stdout
        while True:
            head = out.read(4)
            if len(head) < 4:
                break
            (length,) = struct.unpack(">I", head)
            body = out.read(length)
            if len(body) < length:
                break
            kind, ident = body[0], struct.unpack_from(">Q", body, 1)[0]
            with self.cond:
                self.frames.setdefault(ident, []).append((kind, body[9:]))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def send(self, kind, payload=b"", ident=None):
        with self.lock:
            if ident is None:
                self.next_id += 1
                ident = self.next_id
            frame = u32(9 + len(payload)) + bytes([kind]) + u64(ident) + payload
            self.proc.stdin.write(frame)
            self.proc.stdin.flush()
        return ident

    def wait(self, ident, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.frames.get(ident):
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    raise TimeoutError(f"no answer to call {ident}")
                self.cond.wait(left)
            return self.frames[ident].pop(0)

    def has_answer(self, ident):
        with self.cond:
            return bool(self.frames.get(ident))

    def call(self, kind, payload=b"", timeout=60):
        return self.wait(self.send(kind, payload), timeout)

    # The requests

    def compile(self, sid, path, roots, deny=()):
        return self.call(COMPILE_XSLT, u64(sid) + string(str(path)) + strings([str(r) for r in roots])
                         + strings([str(d) for d in deny]))

    def transform_request(self, sid, xml, params=()):
        return u64(sid) + blob(xml) + u32(len(params)) + b"".join(string(k) + string(v) for k, v in params)

    def transform(self, sid, xml, params=()):
        return self.call(TRANSFORM, self.transform_request(sid, xml, params))

    def fop_configure(self, fid, config, font_base, image_base, roots):
        return self.call(FOP_CONFIGURE, u64(fid) + string(str(config)) + string(str(font_base))
                         + string(str(image_base)) + strings([str(r) for r in roots]))

    def render(self, fid, fo):
        return self.call(RENDER_PDF, u64(fid) + blob(fo))

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def build(classes, classpath):
    sources = sorted(str(p) for p in SRC.glob("*.java"))
    cmd = ["javac", "-Xlint:none", "-d", str(classes), "-cp", classpath, *sources]
    started = time.monotonic()
    subprocess.run(cmd, check=True)
    return time.monotonic() - started, cmd


# ------------------------------------------------------------------------------------------------------------
# Fixtures

XSL = 'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"'

MAIN_XSL = f"""<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="2.0" {XSL}
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:f="urn:local"
    xmlns:e="urn:endpoints:functions" xmlns:uuid="java:java.util.UUID"
    xmlns:b64="java:com.offerready.xslt.xsltfunction.Base64"
    xmlns:digest="java:org.apache.commons.codec.digest.DigestUtils"
    exclude-result-prefixes="xs f e uuid b64 digest">
  <xsl:include href="common.xsl"/>
  <xsl:import-schema schema-location="nothing.xsd" xmlns:dropped="urn:dropped"/>
  <xsl:output method="xml" indent="no" encoding="ISO-8859-1"/>
  <xsl:param name="greeting" as="xs:string" select="'none'"/>
  <xsl:param name="count" as="xs:integer" select="0"/>
  <xsl:param name="untyped" select="()"/>
  <xsl:function name="f:double" as="xs:integer">
    <xsl:param name="n" as="xs:integer"/>
    <xsl:sequence select="$n * 2"/>
  </xsl:function>
  <xsl:template match="/">
    <out>
      <greeting><xsl:value-of select="$greeting"/></greeting>
      <count><xsl:value-of select="$count + 1"/></count>
      <untyped><xsl:value-of select="$untyped = 7"/></untyped>
      <groups>
        <xsl:for-each-group select="/items/item" group-by="@kind">
          <xsl:sort select="current-grouping-key()"/>
          <group kind="{{current-grouping-key()}}" n="{{count(current-group())}}"
                 sum="{{sum(current-group()/@price)}}"/>
        </xsl:for-each-group>
      </groups>
      <tokens>
        <xsl:value-of select="string-join(for $t in tokenize('a,b,,c', ',') return upper-case($t), '|')"/>
      </tokens>
      <date><xsl:value-of select="format-date(current-date(), '[D01].[M01].[Y0001]')"/></date>
      <replaced><xsl:value-of select="replace('2024-01-31', '(\\d+)-(\\d+)-(\\d+)', '$3.$2.$1')"/></replaced>
      <exists><xsl:value-of select="exists(/items/item[@kind='fruit']), exists(/items/nothing)"/></exists>
      <doubled><xsl:value-of select="for $i in 1 to 3 return f:double($i)"/></doubled>
      <common><xsl:call-template name="common"/></common>
      <text>Grüße €</text>
      <uuid><xsl:value-of select="e:uuid()"/></uuid>
      <uuid2><xsl:value-of select="uuid:randomUUID()"/></uuid2>
      <b64><xsl:value-of select="e:base64-encode('Grüße')"/></b64>
      <b64d><xsl:value-of select="b64:decode(b64:encode('Grüße')), e:base64-decode(' R3LD&#10;vMOfZQ== ')"/></b64d>
      <sha><xsl:value-of select="digest:sha256Hex('abc')"/></sha>
      <sha-empty><xsl:value-of select="e:sha256-hex(())"/></sha-empty>
      <doc><xsl:value-of select="doc('data.xml')/data, doc-available('data.xml')"/></doc>
      <text-file><xsl:value-of select="normalize-space(unparsed-text('notes.txt'))"/></text-file>
    </out>
  </xsl:template>
</xsl:stylesheet>
"""

COMMON_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL}>
  <xsl:template name="common">from include</xsl:template>
</xsl:stylesheet>
"""

INPUT = b'<items><item kind="veg" price="2"/><item kind="fruit" price="1.5"/><item kind="fruit" price="3"/></items>'

# line 4, the select attribute is broken
BROKEN_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL}>
  <xsl:template match="/">
    <out><xsl:value-of select="1 +"/></out>
  </xsl:template>
</xsl:stylesheet>
"""

INCLUDER_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL}>
  <xsl:include href="lib/bad-module.xsl"/>
  <xsl:template match="/"><out/></xsl:template>
</xsl:stylesheet>
"""

# line 5: an unknown element in the XSLT namespace; line 6: an unknown function
BAD_MODULE_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL}>
  <xsl:template name="t">

    <xsl:frobnicate/>
    <xsl:value-of select="no-such-function(1)"/>
  </xsl:template>
</xsl:stylesheet>
"""

JAVA_FN_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL} xmlns:bar="java:foo.Bar">
  <xsl:template match="/">
    <out><xsl:value-of select="bar:baz('x')"/></out>
  </xsl:template>
</xsl:stylesheet>
"""

# Run-time probes of the sandbox: $what picks one.
ATTACK_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="3.0" {XSL}>
  <xsl:param name="what"/>
  <xsl:param name="uri"/>
  <xsl:output method="xml" omit-xml-declaration="yes"/>
  <xsl:template match="/">
    <r>
      <xsl:choose>
        <xsl:when test="$what = 'doc'"><xsl:copy-of select="doc($uri)"/></xsl:when>
        <xsl:when test="$what = 'document'"><xsl:copy-of select="document($uri)"/></xsl:when>
        <xsl:when test="$what = 'doc-available'"><xsl:value-of select="doc-available($uri)"/></xsl:when>
        <xsl:when test="$what = 'text'"><xsl:value-of select="unparsed-text($uri)"/></xsl:when>
        <xsl:when test="$what = 'text-lines'"><xsl:value-of select="unparsed-text-lines($uri)"/></xsl:when>
        <xsl:when test="$what = 'text-available'"><xsl:value-of select="unparsed-text-available($uri)"/></xsl:when>
        <xsl:when test="$what = 'json-doc'"><xsl:value-of select="json-doc($uri)"/></xsl:when>
        <xsl:when test="$what = 'collection'"><xsl:value-of select="count(collection($uri))"/></xsl:when>
        <xsl:when test="$what = 'uri-collection'"><xsl:value-of select="count(uri-collection($uri))"/></xsl:when>
        <xsl:when test="$what = 'env'">[<xsl:value-of
            select="environment-variable('HOME'), count(available-environment-variables())"/>]</xsl:when>
        <xsl:when test="$what = 'parse-xml'"><xsl:value-of select="parse-xml($uri)"/></xsl:when>
        <xsl:when test="$what = 'system-property'"><xsl:value-of
            select="system-property('java.version'), system-property('user.home')"/>|</xsl:when>
        <xsl:when test="$what = 'transform-available'"><xsl:value-of
            select="function-available('transform'), function-available('transform', 1)"/></xsl:when>
        <xsl:when test="$what = 'evaluate'"><xsl:evaluate xpath="$uri"/></xsl:when>
        <xsl:when test="$what = 'deep'"><xsl:value-of select="sum(for $i in 1 to 100 return $i)"/></xsl:when>
        <xsl:when test="$what = 'message'"><xsl:message>hello from xsl:message</xsl:message>after</xsl:when>
        <xsl:when test="$what = 'terminate'">
          <xsl:message terminate="yes">stop: <xsl:value-of select="$uri"/></xsl:message>
        </xsl:when>
        <xsl:when test="$what = 'dynamic'" xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xsl:value-of select="xs:integer($uri)"/>
        </xsl:when>
        <xsl:when test="$what = 'slow'">
          <xsl:for-each select="1 to 200000000">
            <xsl:if test=". mod 1000 = 0"><x><xsl:value-of select="."/></x></xsl:if>
          </xsl:for-each>
        </xsl:when>
      </xsl:choose>
    </r>
  </xsl:template>
</xsl:stylesheet>
"""

TRANSFORM_FN_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="3.0" {XSL}>
  <xsl:template match="/">
    <xsl:sequence select="transform(map{{'stylesheet-location': 'file:///etc/passwd'}})"/>
  </xsl:template>
</xsl:stylesheet>
"""

RESULT_DOC_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="3.0" {XSL}>
  <xsl:param name="target"/>
  <xsl:template match="/">
    <xsl:result-document href="{{$target}}/absolute.txt" method="text">absolute</xsl:result-document>
  </xsl:template>
</xsl:stylesheet>
"""

RESULT_DOC_SHADOW_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="3.0" {XSL}>
  <xsl:param name="target" static="yes" select="'relative.txt'"/>
  <xsl:template match="/">
    <xsl:result-document _href="{{$target}}" method="text">shadow</xsl:result-document>
  </xsl:template>
</xsl:stylesheet>
"""


# line 3 is not well-formed
MALFORMED_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL}>
  <xsl:template match="/"><out></xsl:template>
</xsl:stylesheet>
"""

# an internal DTD subset is allowed in stylesheets (entities declared in it are expanded)
ENTITY_XSL = f"""<?xml version="1.0"?>
<!DOCTYPE xsl:stylesheet [<!ENTITY company "ACME &amp; Co">]>
<xsl:stylesheet version="2.0" {XSL}>
  <xsl:output method="text"/>
  <xsl:template match="/">&company;</xsl:template>
</xsl:stylesheet>
"""

LIMITS_XSL = f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL} xmlns:f="urn:f" xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:e="urn:endpoints:functions">
  <xsl:param name="what"/>
  <xsl:output method="text"/>
  <xsl:function name="f:endless" as="xs:integer">
    <xsl:param name="n" as="xs:integer"/>
    <xsl:sequence select="1 + f:endless($n + 1)"/>
  </xsl:function>
  <xsl:template match="/">
    <xsl:choose>
      <xsl:when test="$what = 'recursion'"><xsl:value-of select="f:endless(1)"/></xsl:when>
      <xsl:when test="$what = 'memory'">
        <xsl:value-of select="string-length(string-join(for $i in 1 to 400000000 return 'xxxxxxxxxx', ''))"/>
      </xsl:when>
      <xsl:when test="$what = 'base64'"><xsl:value-of select="e:base64-decode('not base64!')"/></xsl:when>
      <xsl:when test="$what = 'messages'"><xsl:message>line one&#10;line two</xsl:message>ok</xsl:when>
      <xsl:otherwise>alive</xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
"""


def line_of(text, needle):
    """The 1-based number of the first line of text that contains needle."""
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def after(text, needle):
    """(line, column) just after needle (a start tag) in text, as SAX (and so Saxon) reports an element."""
    line = line_of(text, needle)
    return line, text.split("\n")[line - 1].index(needle) + len(needle) + 1


def import_xsl(href):
    return f"""<?xml version="1.0"?>
<xsl:stylesheet version="2.0" {XSL}>
  <xsl:import href="{href}"/>
  <xsl:template match="/"><out/></xsl:template>
</xsl:stylesheet>
"""


FOP_CONFIG = """<?xml version="1.0"?>
<fop version="1.0">
  <renderers>
    <renderer mime="application/pdf">
      <fonts>
        <font kerning="yes" embed-url="DejaVuSans.ttf">
          <font-triplet name="DejaVu" style="normal" weight="normal"/>
        </font>
      </fonts>
    </renderer>
  </renderers>
</fop>
"""

FO = """<?xml version="1.0" encoding="UTF-8"?>
<fo:root xmlns:fo="http://www.w3.org/1999/XSL/Format">
  <fo:layout-master-set>
    <fo:simple-page-master master-name="A4" page-height="29.7cm" page-width="21cm" margin="2cm">
      <fo:region-body/>
    </fo:simple-page-master>
  </fo:layout-master-set>
  <fo:page-sequence master-reference="A4">
    <fo:flow flow-name="xsl-region-body">
      <fo:block font-family="DejaVu" font-size="14pt">Grüße aus dem Worker — ünïcödé ✓</fo:block>
      <fo:block><fo:external-graphic src="{src}"/></fo:block>
      <fo:block font-family="Helvetica">Invoice 4711: 3 items, total 42.00 EUR</fo:block>
    </fo:flow>
  </fo:page-sequence>
</fo:root>
"""


def png(width=4, height=4):
    """A small valid RGB PNG."""
    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_app(root):
    """An application directory as the engine lays it out: xslt/, fonts/, static/, security.xml."""
    app = root / "app"
    (app / "xslt" / "lib").mkdir(parents=True)
    (app / "fonts").mkdir()
    (app / "static").mkdir()
    files = {
        "xslt/main.xsl": MAIN_XSL, "xslt/common.xsl": COMMON_XSL, "xslt/broken.xsl": BROKEN_XSL,
        "xslt/includer.xsl": INCLUDER_XSL, "xslt/lib/bad-module.xsl": BAD_MODULE_XSL,
        "xslt/javafn.xsl": JAVA_FN_XSL, "xslt/attack.xsl": ATTACK_XSL, "xslt/transform-fn.xsl": TRANSFORM_FN_XSL,
        "xslt/result-doc.xsl": RESULT_DOC_XSL, "xslt/result-doc-shadow.xsl": RESULT_DOC_SHADOW_XSL,
        "xslt/import-outside.xsl": import_xsl("file:///etc/passwd"),
        "xslt/import-http.xsl": import_xsl("http://127.0.0.1:1/x.xsl"),
        "xslt/import-denied.xsl": import_xsl("../security.xml"),
        "xslt/import-missing.xsl": import_xsl("lib/missing.xsl"),
        "xslt/import-malformed.xsl": import_xsl("lib/malformed.xsl"),
        "xslt/lib/malformed.xsl": MALFORMED_XSL,
        "xslt/malformed.xsl": MALFORMED_XSL,
        "xslt/entity.xsl": ENTITY_XSL,
        "xslt/limits.xsl": LIMITS_XSL,
        "xslt/data.xml": "<data>data in root</data>",
        "xslt/notes.txt": "notes in root\n",
        "xslt/entity.xml": '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>[&e;]</d>',
        "security.xml": "<security><secret>s3cret</secret></security>",
        "fonts/apache-fop-config.xml": FOP_CONFIG,
        "fonts/broken-config.xml": "<fop version='1.0'><renderers>\n<renderer></fop>",
    }
    for name, text in files.items():
        (app / name).write_text(text, encoding="utf-8")
    (app / "xslt" / "passwd-link").symlink_to("/etc/passwd")
    (app / "xslt" / "etc-link").symlink_to("/etc")
    shutil.copy("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", app / "fonts" / "DejaVuSans.ttf")
    (app / "static" / "logo.png").write_bytes(png())
    return app


# ------------------------------------------------------------------------------------------------------------
# Checks

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    @contextlib.contextmanager
    def guard(self, name):
        """A group of checks: an exception in it (an unexpected answer, a timeout) is one failure."""
        try:
            yield
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            self.check(f"{name} (stopped early)", False, f"{type(e).__name__}: {e}")

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name}: {detail}")
        return ok


def output(answer):
    kind, payload = answer
    if kind != OK:
        raise AssertionError(f"expected OK, got 0x{kind:02x} {diagnostics(payload) if kind == ERROR else payload!r}")
    return Payload(payload).bytes()


def error(answer):
    kind, payload = answer
    if kind != ERROR:
        raise AssertionError(f"expected ERROR, got 0x{kind:02x} {payload[:200]!r}")
    return diagnostics(payload)


def run_checks(classes, classpath, tmp):
    c = Checks()
    app = make_app(tmp)
    xslt = app / "xslt"
    roots, deny = [xslt], [app / "security.xml"]
    stderr_path = tmp / "worker-stderr.txt"
    w = Worker(classes, classpath, threads=2, stderr=open(stderr_path, "wb"))
    try:
        c.check("READY describes the worker", w.description.startswith("Saxon-HE 9.9")
                and "FOP 2.8" in w.description and "2 threads" in w.description, w.description)
        print(f"      {w.description}; READY after {w.ready_after * 1000:.0f} ms")

        def probe(what, uri=""):
            return w.transform(3, b"<x/>", [("what", what), ("uri", uri)])

        with c.guard("XSLT 2.0"):
            c.check("compile main.xsl (with xsl:include and xsl:import-schema)",
                    w.compile(1, xslt / "main.xsl", roots, deny)[0] == OK)
            greeting = 'He said "it\'s" <ok> & fine'
            out = output(w.transform(1, INPUT, [("greeting", greeting), ("count", "41"), ("untyped", "7")]))
            text = out.decode("utf-8")
            today = time.strftime("%d.%m.%Y")
            expected = [
                '<?xml version="1.0" encoding="UTF-8"?>',
                "<greeting>He said \"it's\" &lt;ok&gt; &amp; fine</greeting>",
                "<count>42</count>",
                "<untyped>true</untyped>",
                '<group kind="fruit" n="2" sum="4.5"/><group kind="veg" n="1" sum="2"/>',
                "<tokens>A|B||C</tokens>",
                f"<date>{today}</date>",
                "<replaced>31.01.2024</replaced>",
                "<exists>true false</exists>",
                "<doubled>2 4 6</doubled>",
                "<common>from include</common>",
                "<text>Grüße €</text>",
                "<b64>R3LDvMOfZQ==</b64>",
                "<b64d>Grüße Grüße</b64d>",
                "<sha>ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad</sha>",
                "<sha-empty>e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855</sha-empty>",
                "<doc>data in root true</doc>",
                "<text-file>notes in root</text-file>",
            ]
            missing = [e for e in expected if e not in text]
            c.check("transform: XSLT 2.0 features, parameters, UTF-8 output, extension functions", not missing,
                    f"missing {missing} in {text}")
            uuids = re.findall(r"<uuid2?>([^<]*)</uuid2?>", text)
            v4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            c.check("uuid() and java.util.UUID.randomUUID(): random v4, lowercase",
                    len(uuids) == 2 and all(v4.match(u) for u in uuids) and uuids[0] != uuids[1], uuids)

        with c.guard("many calls in flight"):
            n = 200
            ids = []
            started = time.monotonic()
            for i in range(n):
                params = [("greeting", f"call-{i}"), ("count", str(i))]
                ids.append(w.send(TRANSFORM, w.transform_request(1, INPUT, params)))
            wrong = []
            for i, ident in enumerate(ids):
                body = output(w.wait(ident)).decode()
                if f"<greeting>call-{i}</greeting>" not in body or f"<count>{i + 1}</count>" not in body:
                    wrong.append(i)
            elapsed = time.monotonic() - started
            c.check(f"{n} TRANSFORMs pipelined, every answer matched to its id", not wrong, f"wrong: {wrong[:10]}")
            print(f"      {n} pipelined transforms in {elapsed * 1000:.0f} ms")

        with c.guard("static errors"):
            d = error(w.compile(2, xslt / "broken.xsl", roots, deny))
            c.check("static error: file, line, column, code", len(d) == 1
                    and d[0]["file"] == str(xslt / "broken.xsl") and d[0]["message"].startswith("XPST0003")
                    and (d[0]["line"], d[0]["column"]) == after(BROKEN_XSL, '<xsl:value-of select="1 +"/>'), d)
            d = error(w.compile(2, xslt / "includer.xsl", roots, deny))
            bad = str(xslt / "lib" / "bad-module.xsl")
            found = {(x["line"], x["column"], x["message"][:8]) for x in d if x["file"] == bad}
            c.check("static errors in an xsl:include'd module: its path, lines, columns",
                    found == {(*after(BAD_MODULE_XSL, "<xsl:frobnicate/>"), "XTSE0010"),
                              (*after(BAD_MODULE_XSL, '<xsl:value-of select="no-such-function(1)"/>'), "XPST0017")},
                    d)
            d = error(w.compile(2, xslt / "javafn.xsl", roots, deny))
            c.check("unknown java: function: XPST0017 at compile time",
                    any(x["message"].startswith("XPST0017") and "Q{java:foo.Bar}baz()" in x["message"]
                        and (x["line"], x["column"]) == after(JAVA_FN_XSL, """<xsl:value-of select="bar:baz('x')"/>""")
                        for x in d), d)
            d = error(w.compile(2, xslt / "transform-fn.xsl", roots, deny))
            c.check("fn:transform() is not available", any("XPST0017" in x["message"] for x in d), d)
            d = error(w.compile(2, app / "missing.xsl", roots, deny))
            c.check("missing stylesheet file", d[0]["file"] == str(app / "missing.xsl")
                    and "not found" in d[0]["message"], d)
            for name, what in [("import-outside.xsl", "file:///etc/passwd"),
                               ("import-http.xsl", "http://127.0.0.1:1/x.xsl"),
                               ("import-denied.xsl", "security.xml")]:
                d = error(w.compile(2, xslt / name, roots, deny))
                c.check(f"xsl:import of {what} refused at compile time",
                        any("is not allowed" in x["message"] and what in x["message"] for x in d), d)
            d = error(w.compile(2, xslt / "malformed.xsl", roots, deny))
            c.check("stylesheet that is not well-formed: its path, line, column",
                    d[0]["file"] == str(xslt / "malformed.xsl") and d[0]["line"] == 3 and d[0]["column"] > 0, d)
            d = error(w.compile(2, xslt / "import-malformed.xsl", roots, deny))
            c.check("imported module that is not well-formed: the module's path and line",
                    any(x["file"] == str(xslt / "lib" / "malformed.xsl") and x["line"] == 3 for x in d), d)
            d = error(w.compile(2, xslt / "import-missing.xsl", roots, deny))
            c.check("imported module that does not exist", any("file not found" in x["message"] for x in d), d)
            c.check("stylesheet with an internal DTD subset",
                    w.compile(6, xslt / "entity.xsl", roots, deny)[0] == OK
                    and output(w.transform(6, b"<x/>")) == b"ACME & Co")
            c.check("a failed compile removes the stylesheet of that id",
                    "unknown stylesheet 6" in error(w.compile(6, xslt / "broken.xsl", roots, deny)
                                                    and w.transform(6, b"<x/>"))[0]["message"])

        with c.guard("sandbox at run time"):
            c.check("compile attack.xsl", w.compile(3, xslt / "attack.xsl", roots, deny)[0] == OK)

            up = "../" * 12
            for what, uri in [("doc", up + "etc/passwd"), ("doc", "file:///etc/passwd"), ("doc", "../security.xml"),
                              ("doc", "passwd-link"), ("doc", "missing/../passwd-link"), ("text", "etc-link/passwd"),
                              ("doc", "http://127.0.0.1:1/"), ("doc", "file://127.0.0.1/etc/passwd"),
                              ("text", "http://127.0.0.1:1/"), ("text", "file:///etc/passwd"), ("text", "passwd-link"),
                              ("text-lines", "/etc/passwd"), ("json-doc", "file:///etc/passwd"),
                              ("collection", "file:///etc/"), ("uri-collection", "file:///etc/")]:
                d = error(probe(what, uri))
                c.check(f"{what}('{uri}') refused", "not allowed" in d[0]["message"]
                        and d[0]["file"] == str(xslt / "attack.xsl") and d[0]["line"] > 0, d)
            for what, uri, expect in [("doc-available", "file:///etc/passwd", b"<r>false</r>"),
                                      ("doc-available", "../security.xml", b"<r>false</r>"),
                                      ("doc-available", "data.xml", b"<r>true</r>"),
                                      ("document", "file:///etc/passwd", b"<r/>"),
                                      ("text-available", "http://127.0.0.1:1/", b"<r>false</r>"),
                                      ("text-available", "notes.txt", b"<r>true</r>"),
                                      ("env", "", b"<r>[ 0]</r>"),
                                      ("system-property", "", b"<r> |</r>"),
                                      ("transform-available", "", b"<r>false false</r>")]:
                got = output(probe(what, uri))
                c.check(f"{what}('{uri}') gives {expect.decode()}", got == expect, got)
            d = error(probe("evaluate", "doc('file:///etc/passwd')"))
            c.check("xsl:evaluate is not available (Saxon-HE)", d[0]["message"].startswith("XTDE3175")
                    and "Exception" not in d[0]["message"], d)
            xxe = '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>[&e;]</d>'
            got = output(probe("parse-xml", xxe))
            c.check("parse-xml(): external entity not expanded", got == b"<r>[]</r>", got)
            got = output(probe("doc", "entity.xml"))
            c.check("doc(): external entity not expanded", got == b"<r><d>[]</d></r>", got)
            d = error(w.transform(3, b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', [("what", "deep")]))
            c.check("input with a DOCTYPE refused", "DOCTYPE" in d[0]["message"], d)
            d = error(w.transform(3, b"<x>", [("what", "deep")]))
            c.check("malformed input: ERROR with its line and column", d[0]["line"] == 1 and d[0]["column"] > 0, d)

        with c.guard("messages and dynamic errors"):
            c.check("xsl:message goes to stderr, output unaffected", output(probe("message")) == b"<r>after</r>")
            d = error(probe("terminate", "the end"))
            c.check("xsl:message terminate=yes: ERROR with its text and location",
                    d[0]["message"] == "stop: the end"
                    and (d[0]["line"], d[0]["column"]) == after(ATTACK_XSL, '<xsl:message terminate="yes">'), d)
            d = error(probe("dynamic", "abc"))
            c.check("dynamic error: code, message, stylesheet location",
                    d[0]["message"].startswith("FORG0001") and d[0]["file"] == str(xslt / "attack.xsl")
                    and (d[0]["line"], d[0]["column"])
                    == after(ATTACK_XSL, '<xsl:value-of select="xs:integer($uri)"/>'), d)
            d = error(w.transform(999, INPUT))
            c.check("unknown stylesheet", d[0]["message"] == "unknown stylesheet 999", d)

        with c.guard("limits"):
            c.check("compile limits.xsl", w.compile(7, xslt / "limits.xsl", roots, deny)[0] == OK)
            d = error(w.transform(7, b"<x/>", [("what", "recursion")]))
            c.check("endless recursion: ERROR (stack overflow caught)", "Too many nested" in d[0]["message"], d)
            d = error(w.transform(7, b"<x/>", [("what", "memory")]))
            c.check("out of memory: ERROR", d[0]["message"] == "out of memory", d)
            d = error(w.transform(7, b"<x/>", [("what", "base64")]))
            c.check("base64-decode() of invalid input: dynamic error",
                    "invalid base64" in d[0]["message"] and d[0]["line"] > 0, d)
            c.check("multi-line xsl:message", output(w.transform(7, b"<x/>", [("what", "messages")])) == b"ok")
            c.check("the worker goes on after all that", output(w.transform(7, b"<x/>")) == b"alive")

        with c.guard("xsl:result-document"):
            target = tmp / "written"
            target.mkdir()
            c.check("compile result-doc.xsl", w.compile(4, xslt / "result-doc.xsl", roots, deny)[0] == OK)
            got = output(w.transform(4, b"<x/>", [("target", target.as_uri())]))
            c.check("xsl:result-document href=absolute: principal output, no file", got == b"absolute"
                    and not any(target.iterdir()), (got, list(target.iterdir())))
            c.check("compile result-doc-shadow.xsl", w.compile(5, xslt / "result-doc-shadow.xsl", roots, deny)[0] == OK)
            got = output(w.transform(5, b"<x/>"))
            c.check("xsl:result-document _href (shadow attribute): principal output, no file", got == b"shadow"
                    and not (xslt / "relative.txt").exists() and not Path("relative.txt").exists(), got)

        with c.guard("release"):
            w.send(RELEASE_XSLT, u64(4))
            d = error(w.transform(4, b"<x/>"))
            c.check("RELEASE_XSLT forgets the stylesheet", d[0]["message"] == "unknown stylesheet 4", d)

        with c.guard("FOP"):
            fonts, static = app / "fonts", app / "static"
            c.check("FOP_CONFIGURE with a config and a relative TTF font URL",
                    w.fop_configure(1, fonts / "apache-fop-config.xml", fonts, static, [fonts, static])[0] == OK)
            pdf = output(w.render(1, FO.format(src="logo.png").encode()))
            c.check("RENDER_PDF: a PDF with the embedded TTF font and the relative image",
                    pdf.startswith(b"%PDF") and b"DejaVuSans" in pdf and b"/Subtype /Image" in pdf, pdf[:100])
            (tmp / "rendered.pdf").write_bytes(pdf)
            pdf = output(w.render(1, FO.format(src="file:///etc/passwd").encode()))
            c.check("RENDER_PDF: an image outside the roots is not read (FOP renders without it)",
                    pdf.startswith(b"%PDF") and b"/Subtype /Image" not in pdf)
            d = error(w.fop_configure(2, fonts / "broken-config.xml", fonts, static, [fonts, static]))
            c.check("FOP_CONFIGURE: a broken config file: ERROR with its path and line",
                    d[0]["file"] == str(fonts / "broken-config.xml") and d[0]["line"] == 2, d)
            c.check("FOP_CONFIGURE without a config file",
                    w.fop_configure(3, "", fonts, static, [fonts, static])[0] == OK)
            w.fop_configure(4, "", fonts, static, [fonts, static])
            error(w.fop_configure(4, fonts / "broken-config.xml", fonts, static, [fonts, static]))
            d = error(w.render(4, FO.format(src="logo.png").encode()))
            c.check("a failed FOP_CONFIGURE removes the factory of that id",
                    d[0]["message"] == "unknown FOP factory 4", d)
            bad_fo = b'<fo:root xmlns:fo="http://www.w3.org/1999/XSL/Format"><fo:bogus/></fo:root>'
            d = error(w.render(3, bad_fo))
            c.check("RENDER_PDF: unknown FO element: ERROR, no usage text",
                    "fo:bogus" in d[0]["message"] and "usage" not in d[0]["message"].lower()
                    and "\tat " not in d[0]["message"] and d[0]["line"] == 1, d)
            d = error(w.render(3, b"<fo:root"))
            c.check("RENDER_PDF: malformed FO: ERROR with line and column", d[0]["line"] == 1, d)
            d = error(w.render(3, b'<!DOCTYPE fo:root SYSTEM "http://127.0.0.1:1/fo.dtd"><fo:root/>'))
            c.check("RENDER_PDF: FO with a DOCTYPE refused", "DOCTYPE" in d[0]["message"], d)
            w.send(RELEASE_FOP, u64(3))
            d = error(w.render(3, FO.format(src="logo.png").encode()))
            c.check("RELEASE_FOP forgets the factory", d[0]["message"] == "unknown FOP factory 3", d)

        with c.guard("protocol odds and ends"):
            d = error(w.call(0x42, b"whatever"))
            c.check("unknown request kind: ERROR, worker goes on", "unknown request kind 0x42" in d[0]["message"], d)
            kind, payload = w.call(PING)
            p = Payload(payload)
            c.check("PING: busy threads and queue length", kind == OK and len(payload) == 8, (kind, payload))
            print(f"      PING: busy {p.u32()}, queued {p.u32()}")

        with c.guard("CANCEL"):
            slow = [("what", "slow")]
            running = [w.send(TRANSFORM, w.transform_request(3, b"<x/>", slow)) for _ in range(2)]
            queued = w.send(TRANSFORM, w.transform_request(3, b"<x/>", slow))
            time.sleep(0.5)
            kind, payload = w.call(PING)
            p = Payload(payload)
            busy, waiting = p.u32(), p.u32()
            c.check("PING while busy: 2 busy, 1 queued", (busy, waiting) == (2, 1), (busy, waiting))
            started = time.monotonic()
            for ident in [queued, *running]:
                w.send(CANCEL, u64(ident))
            answers = {}
            for ident in running:
                try:
                    answers[ident] = w.wait(ident, timeout=10)
                except TimeoutError:
                    answers[ident] = None
            took = time.monotonic() - started
            c.check("CANCEL stops running transforms (ERROR 'cancelled') within a second",
                    all(a is not None and a[0] == ERROR and diagnostics(a[1])[0]["message"] == "cancelled"
                        for a in answers.values()) and took < 1.0, (answers, took))
            for _ in range(40):  # the pool thread counts as busy until its task has returned
                kind, payload = w.call(PING)
                p = Payload(payload)
                state = (p.u32(), p.u32())
                if state == (0, 0):
                    break
                time.sleep(0.05)
            c.check("CANCEL of a queued call: never answered, pool idle again",
                    not w.has_answer(queued) and state == (0, 0), state)
            print(f"      cancel answered after {took * 1000:.0f} ms")

        with c.guard("end of input"):
            started = time.monotonic()
            w.proc.stdin.close()
            try:
                status = w.proc.wait(5)
            except subprocess.TimeoutExpired:
                status = None
            took = time.monotonic() - started
            c.check("closing stdin: the worker exits (status 0) within a second", status == 0 and took < 1.0,
                    (status, took))
            print(f"      exited {took * 1000:.0f} ms after stdin was closed")
    finally:
        w.close()

    log = stderr_path.read_text(errors="replace")
    c.check("stderr: xsl:message lines", "xsl:message: hello from xsl:message" in log
            and "xsl:message: line one\nxsl:message: line two" in log, log[-2000:])

    # --- malformed frames end the worker with status 2 ---------------------------------------------------------
    for name, frame in [("frame length below 9", u32(5) + b"\x07" + b"\x00" * 4),
                        ("frame length above 1 GiB", u32((1 << 30) + 1) + b"\x07"),
                        ("payload shorter than it says", u32(9 + 4) + bytes([TRANSFORM]) + u64(1) + u32(99))]:
        w = Worker(classes, classpath, threads=1)
        w.proc.stdin.write(frame)
        w.proc.stdin.flush()
        try:
            status = w.proc.wait(5)
        except subprocess.TimeoutExpired:
            status = None
        w.close()
        c.check(f"malformed frame ({name}): exit status 2", status == 2, status)
    return c


# ------------------------------------------------------------------------------------------------------------
# Measurements

PLAIN_FO = FO.replace('font-family="DejaVu" ', "").replace("Grüße aus dem Worker — ünïcödé ✓", "Hello, world")

# The anchor: the same FO rendered in a plain Java loop over one FopFactory, in one JVM, no protocol.
ANCHOR_JAVA = """
import java.io.*;
import java.nio.file.*;
import javax.xml.parsers.SAXParserFactory;
import org.apache.fop.apps.*;
import org.xml.sax.*;

public class Anchor {
    public static void main(String[] args) throws Exception {
        byte[] fo = Files.readAllBytes(Paths.get(args[0]));
        FopFactory factory = args.length > 2
            ? new FopConfParser(new File(args[2])).getFopFactoryBuilder().setBaseURI(Paths.get(args[1]).toUri()).build()
            : new FopFactoryBuilder(Paths.get(args[1]).toUri()).build();
        SAXParserFactory spf = SAXParserFactory.newDefaultInstance();
        spf.setNamespaceAware(true);
        int warmUp = Integer.parseInt(System.getProperty("warmup", "300"));
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        double[] rates = new double[3];
        double[] cpu = new double[3];
        for (int round = -1; round < 3; round++) {
            int n = round < 0 ? warmUp : 300;
            long t = System.nanoTime();
            long c = os.getProcessCpuTime();
            for (int i = 0; i < n; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Fop fop = factory.newFop(MimeConstants.MIME_PDF, factory.newFOUserAgent(), out);
                XMLReader r = spf.newSAXParser().getXMLReader();
                r.setContentHandler(fop.getDefaultHandler());
                r.parse(new InputSource(new ByteArrayInputStream(fo)));
            }
            if (round >= 0) {
                rates[round] = n / ((System.nanoTime() - t) / 1e9);
                cpu[round] = (os.getProcessCpuTime() - c) / 1e6 / n;
            }
        }
        java.util.Arrays.sort(rates);
        java.util.Arrays.sort(cpu);
        System.out.printf("median %.1f PDF/s (min %.1f, max %.1f), %.2f ms CPU per PDF%n", rates[1], rates[0],
            rates[2], cpu[1]);
    }
}
"""


WARM_UP = 1000


def cpu_seconds(pid):
    """CPU time (user + system, all threads) used by a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def run_bench(classes, classpath, tmp):
    app = make_app(tmp / "bench")
    fonts, static = app / "fonts", app / "static"
    print(f"load average before: {loadavg()}")

    times = []
    for _ in range(5):
        w = Worker(classes, classpath, threads=2)
        times.append(w.ready_after)
        w.close()
    times.sort()
    print(f"start-up to READY: median {times[2] * 1000:.0f} ms (min {times[0] * 1000:.0f}, max {times[-1] * 1000:.0f}),"
          f" 5 starts")

    w = Worker(classes, classpath, threads=2)
    first = time.monotonic()
    w.fop_configure(1, "", fonts, static, [fonts, static])
    output(w.render(1, PLAIN_FO.format(src="logo.png").encode()))
    print(f"first PDF after READY (configure + render, cold): {(time.monotonic() - first) * 1000:.0f} ms")
    w.fop_configure(2, fonts / "apache-fop-config.xml", fonts, static, [fonts, static])
    for name, fid, fo in [("one-page FO, built-in font + PNG", 1, PLAIN_FO.format(src="logo.png").encode()),
                          ("one-page FO, embedded DejaVuSans TTF + PNG", 2, FO.format(src="logo.png").encode())]:
        for _ in range(WARM_UP):
            output(w.render(fid, fo))
        rates, cpus = [], []
        for _ in range(3):
            cpu = cpu_seconds(w.proc.pid)
            started = time.monotonic()
            for _ in range(300):
                output(w.render(fid, fo))
            rates.append(300 / (time.monotonic() - started))
            cpus.append((cpu_seconds(w.proc.pid) - cpu) / 300 * 1000)
        print(f"worker, 300 sequential RENDER_PDF after {WARM_UP} warm-up, 3 rounds: median {sorted(rates)[1]:.1f}"
              f" PDF/s (min {min(rates):.1f}, max {max(rates):.1f}), {sorted(cpus)[1]:.2f} ms CPU per PDF ({name})")

    w.compile(1, app / "xslt" / "main.xsl", [app / "xslt"], [])
    request = w.transform_request(1, INPUT, [("greeting", "hi"), ("count", "1")])
    for _ in range(300):
        output(w.wait(w.send(TRANSFORM, request)))
    started = time.monotonic()
    for _ in range(1000):
        output(w.wait(w.send(TRANSFORM, request)))
    print(f"worker, sequential TRANSFORM of main.xsl: {1000 / (time.monotonic() - started):.0f} /s")
    started = time.monotonic()
    ids = [w.send(TRANSFORM, request) for _ in range(1000)]
    for ident in ids:
        output(w.wait(ident))
    print(f"worker, 1000 pipelined TRANSFORMs on 2 threads: {1000 / (time.monotonic() - started):.0f} /s")
    w.close()

    anchor = tmp / "anchor"
    anchor.mkdir()
    (anchor / "Anchor.java").write_text(ANCHOR_JAVA)
    subprocess.run(["javac", "-Xlint:none", "-d", str(anchor), "-cp", classpath, str(anchor / "Anchor.java")],
                   check=True)
    for name, fo, extra in [("one-page FO, built-in font + PNG", PLAIN_FO, []),
                            ("one-page FO, embedded DejaVuSans TTF + PNG", FO, [str(fonts / "apache-fop-config.xml")])]:
        (anchor / "in.fo").write_text(fo.format(src="logo.png"), encoding="utf-8")
        rate = subprocess.run(["java", *JAVA_FLAGS, f"-Dwarmup={WARM_UP}", "-cp", f"{anchor}:{classpath}", "Anchor",
                               str(anchor / "in.fo"), str(static), *extra],
                              check=True, capture_output=True, text=True).stdout.strip()
        print(f"anchor (plain Java loop over one FopFactory), 300 after {WARM_UP} warm-up, 3 rounds: {rate} ({name})")
    print(f"load average after: {loadavg()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", action="store_true", help="also measure start-up time and throughput")
    parser.add_argument("--bench-only", action="store_true", help="only measure")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    classpath = os.environ.get("ENDPOINTS_JVM_CLASSPATH", DEFAULT_CLASSPATH)
    tmp = Path(tempfile.mkdtemp(prefix="endpoints-jvm-"))
    try:
        classes = tmp / "classes"
        classes.mkdir()
        took, cmd = build(classes, classpath)
        print(f"built in {took:.1f} s: {' '.join(cmd[:6])} ... ({len(cmd) - 6} sources)")
        failed = 0
        if not args.bench_only:
            checks = run_checks(classes, classpath, tmp)
            print(f"{checks.passed} passed, {checks.failed} failed")
            failed = checks.failed
        if args.bench or args.bench_only:
            run_bench(classes, classpath, tmp)
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
