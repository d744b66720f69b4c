package endpoints.worker;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.StringReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.SAXParserFactory;
import javax.xml.transform.Source;
import javax.xml.transform.TransformerException;
import javax.xml.transform.URIResolver;
import javax.xml.transform.sax.SAXSource;

import net.sf.saxon.Configuration;
import net.sf.saxon.functions.ResolveURI;
import net.sf.saxon.lib.StandardUnparsedTextResolver;
import net.sf.saxon.lib.UnparsedTextURIResolver;
import net.sf.saxon.trans.XPathException;
import org.apache.xmlgraphics.io.Resource;
import org.apache.xmlgraphics.io.ResourceResolver;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;

/**
 * What a stylesheet or a FOP factory may read: regular files below a set of root directories, minus a deny list.
 *
 * <p>Paths are compared after canonicalisation (symlinks resolved, "..", "." removed), so neither "../" nor a
 * symlink inside a root can lead outside it. Only {@code file:} URIs are ever opened; http:, ftp:, jar:, data:
 * and every other scheme are refused, so the worker never touches the network.
 *
 * <p>This class also makes every XML parser the worker uses ({@link #xmlReader}): the JDK's own parser (not
 * whatever JAXP finds on the class path), with secure processing on, external general/parameter entities off
 * and external DTD loading off; optionally refusing any DOCTYPE.
 */
final class Sandbox {

    /** Thrown when a URI is outside the sandbox. An IOException, so FOP's resolver can throw it as it is. */
    static final class Denied extends IOException {
        private static final long serialVersionUID = 1L;

        Denied(String uri) {
            super("access to " + uri + " is not allowed");
        }
    }

    private final List<Path> roots = new ArrayList<>();
    private final List<Path> denied = new ArrayList<>();

    Sandbox(List<String> roots, List<String> denied) {
        for (String r : roots) {
            if (!r.isEmpty()) {
                this.roots.add(canonical(Paths.get(r)));
            }
        }
        for (String d : denied) {
            if (!d.isEmpty()) {
                this.denied.add(canonical(Paths.get(d)));
            }
        }
    }

    /**
     * The canonical path that {@code uri} (absolute) names, if the sandbox allows reading it.
     *
     * @throws Denied for anything but a file: URI below a root and not on the deny list
     */
    Path permit(String uri) throws Denied {
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException e) {
            throw new Denied(uri);
        }
        String host = u.getRawAuthority();
        if (!"file".equalsIgnoreCase(u.getScheme()) || u.getPath() == null || u.getPath().isEmpty()
                || (host != null && !host.isEmpty() && !host.equalsIgnoreCase("localhost"))) {
            throw new Denied(uri);
        }
        Path path;
        try {
            path = canonical(Paths.get(u.getPath()));
        } catch (RuntimeException e) {
            throw new Denied(uri);
        }
        for (Path d : denied) {
            if (path.startsWith(d)) {
                throw new Denied(uri);
            }
        }
        for (Path r : roots) {
            if (path.startsWith(r)) {
                return path;
            }
        }
        throw new Denied(uri);
    }

    /**
     * The real path of {@code p}: symlinks resolved by the OS for the part that exists, the rest (names of files
     * that do not exist, yet) appended and normalised. A file that does not exist is thus judged by where it
     * would be, and reading it fails later with "not found" only if it would be inside the sandbox.
     */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath();
        Path existing = abs;
        Path rest = null;
        while (existing != null) {
            try {
                Path real = existing.toRealPath();
                return rest == null ? real : real.resolve(rest).normalize();
            } catch (IOException | SecurityException e) {
                Path name = existing.getFileName();
                if (name == null) {
                    break;
                }
                rest = rest == null ? name : name.resolve(rest);
                existing = existing.getParent();
            }
        }
        return abs.normalize();
    }

    // ---------------------------------------------------------------------------------------------------------
    // XML parsers

    private static final ThreadLocal<SAXParserFactory> WITH_DOCTYPE =
            ThreadLocal.withInitial(() -> parserFactory(true));
    private static final ThreadLocal<SAXParserFactory> WITHOUT_DOCTYPE =
            ThreadLocal.withInitial(() -> parserFactory(false));

    private static SAXParserFactory parserFactory(boolean allowDoctype) {
        // The JDK's built-in parser, whatever else (Xerces) is on the class path.
        SAXParserFactory f = SAXParserFactory.newDefaultInstance();
        f.setNamespaceAware(true);
        f.setValidating(false);
        f.setXIncludeAware(false);
        try {
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", !allowDoctype);
        } catch (Exception e) {
            throw new IllegalStateException("cannot configure the XML parser securely: " + e.getMessage(), e);
        }
        return f;
    }

    /**
     * A new namespace-aware XML reader with external entities and external DTDs off. With {@code allowDoctype}
     * false, a document with a DOCTYPE declaration is refused altogether (request inputs and XSL-FO).
     */
    static XMLReader xmlReader(boolean allowDoctype) {
        try {
            XMLReader r = (allowDoctype ? WITH_DOCTYPE : WITHOUT_DOCTYPE).get().newSAXParser().getXMLReader();
            // Never called with the features above; there in case a caller turns a feature back on.
            r.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
            r.setErrorHandler(STRICT);
            return r;
        } catch (Exception e) {
            throw new IllegalStateException("cannot create an XML parser: " + e.getMessage(), e);
        }
    }

    /** Errors are thrown (not printed, as the JDK parser's default handler does); warnings ignored. */
    static final ErrorHandler STRICT = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    /** Reads a file that {@link #permit} returned; the parse sees the URI as written as its system id. */
    private static InputSource inputSource(Path file, String systemId) throws IOException {
        InputSource in = new InputSource(new ByteArrayInputStream(Files.readAllBytes(file)));
        in.setSystemId(systemId);
        return in;
    }

    private static String absolute(String href, String base) throws TransformerException {
        try {
            return ResolveURI.makeAbsolute(href, base).toString();
        } catch (URISyntaxException e) {
            throw new XPathException("invalid URI " + href + ": " + e.getMessage(), "FODC0005");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Saxon

    /** Resolves xsl:import / xsl:include (stylesheet modules, filtered as the main module is). */
    URIResolver stylesheetResolver() {
        return (href, base) -> {
            String uri = absolute(href, base);
            try {
                Path file = permit(uri);
                return new SAXSource(new StylesheetFilter(xmlReader(true)), inputSource(file, uri));
            } catch (java.nio.file.NoSuchFileException e) {
                throw new XPathException("cannot read " + uri + ": file not found", "XTSE0165");
            } catch (IOException e) {
                throw new XPathException(e.getMessage(), "XTSE0165");
            }
        };
    }

    /** Resolves doc(), document(), doc-available() at run time. Never returns null (Saxon would fall back). */
    URIResolver documentResolver() {
        return (href, base) -> {
            String uri = absolute(href, base);
            try {
                Path file = permit(uri);
                return new SAXSource(xmlReader(true), inputSource(file, uri));
            } catch (java.nio.file.NoSuchFileException e) {
                throw new XPathException("cannot read " + uri + ": file not found", "FODC0002");
            } catch (IOException e) {
                throw new XPathException(e.getMessage(), "FODC0002");
            }
        };
    }

    /** Resolves unparsed-text(), unparsed-text-lines(), unparsed-text-available() and json-doc(). */
    UnparsedTextURIResolver textResolver() {
        StandardUnparsedTextResolver standard = new StandardUnparsedTextResolver();
        return (URI uri, String encoding, Configuration config) -> {
            Path file;
            try {
                file = permit(uri.toString());
            } catch (Denied e) {
                throw new XPathException(e.getMessage(), "FOUT1170");
            }
            return standard.resolve(file.toUri(), encoding, config);
        };
    }

    /** For the Saxon configuration itself: anything that is not given a stylesheet's own resolver reads nothing. */
    static final URIResolver REFUSE_DOCUMENTS = new URIResolver() {
        @Override
        public Source resolve(String href, String base) throws TransformerException {
            throw new XPathException(new Denied(absolute(href, base)).getMessage(), "FODC0002");
        }
    };

    static final UnparsedTextURIResolver REFUSE_TEXT = new UnparsedTextURIResolver() {
        @Override
        public Reader resolve(URI uri, String encoding, Configuration config) throws XPathException {
            throw new XPathException(new Denied(String.valueOf(uri)).getMessage(), "FOUT1170");
        }
    };

    // ---------------------------------------------------------------------------------------------------------
    // FOP

    /** Fonts and images for FOP: files in the sandbox only; FOP may write nothing. */
    ResourceResolver fopResolver() {
        return new ResourceResolver() {
            @Override
            public Resource getResource(URI uri) throws IOException {
                Path file = permit(uri.toString());
                InputStream in = Files.newInputStream(file);
                return new Resource(in);
            }

            @Override
            public OutputStream getOutputStream(URI uri) throws IOException {
                throw new IOException("writing " + uri + " is not allowed");
            }
        };
    }
}
