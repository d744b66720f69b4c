package endpoints.worker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.transform.sax.SAXSource;

import net.sf.saxon.s9api.Axis;
import net.sf.saxon.s9api.Processor;
import net.sf.saxon.s9api.QName;
import net.sf.saxon.s9api.SaxonApiException;
import net.sf.saxon.s9api.XdmNode;
import net.sf.saxon.s9api.XdmNodeKind;
import org.apache.fop.apps.EnvironmentProfile;
import org.apache.fop.apps.EnvironmentalProfileFactory;
import org.apache.fop.apps.FOPException;
import org.apache.fop.apps.FOUserAgent;
import org.apache.fop.apps.Fop;
import org.apache.fop.apps.FopConfParser;
import org.apache.fop.apps.FopFactory;
import org.apache.fop.apps.FopFactoryBuilder;
import org.apache.fop.apps.MimeConstants;
import org.apache.fop.apps.io.ResourceResolverFactory;
import org.apache.fop.events.EventFormatter;
import org.apache.fop.events.model.EventSeverity;
import org.apache.xmlgraphics.io.ResourceResolver;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;

/**
 * Apache FOP: FopFactory objects by id (one per application configuration), and XSL-FO to PDF rendering.
 *
 * <p>Each factory reads fonts and images only through {@link Sandbox#fopResolver} (files below its roots; no
 * network, no writing), in FOP's "restricted I/O" profile (no scanning of the system's fonts, no font cache
 * file). As the reference engine does, relative font URLs of the configuration resolve against the fonts
 * directory and relative image URLs of the XSL-FO against the static directory.
 */
final class Pdf {
    private final Processor saxon;
    private final Map<Long, FopFactory> factories = new ConcurrentHashMap<>();

    Pdf(Processor saxon) {
        this.saxon = saxon;
        // Load and initialise FOP's classes now, not during the first request.
        new FopFactoryBuilder(URI.create("file:///")).build().newFOUserAgent();
    }

    static String version() {
        return "FOP " + org.apache.fop.Version.getVersion();
    }

    // ---------------------------------------------------------------------------------------------------------
    // FOP_CONFIGURE, RELEASE_FOP

    /**
     * Makes the FOP factory {@code id}, replacing any factory of that id. If it fails, the id names no factory
     * any more.
     */
    void configure(long id, String configPath, String fontBaseDir, String imageBaseDir, List<String> roots)
            throws Failure {
        try {
            factories.put(id, factory(configPath, fontBaseDir, imageBaseDir, roots));
        } catch (Failure | RuntimeException | Error e) {
            factories.remove(id);
            throw e;
        }
    }

    private FopFactory factory(String configPath, String fontBaseDir, String imageBaseDir, List<String> roots)
            throws Failure {
        ResourceResolver resolver = new Sandbox(roots, List.of()).fopResolver();
        URI fontBase = directoryUri(fontBaseDir);
        URI imageBase = directoryUri(imageBaseDir);
        EnvironmentProfile environment = EnvironmentalProfileFactory.createRestrictedIO(imageBase, resolver);
        FopFactoryBuilder builder;
        boolean hasFontBase = false;
        if (configPath.isEmpty()) {
            builder = new FopFactoryBuilder(environment);
        } else {
            XdmNode config = parseConfig(configPath);
            hasFontBase = config.axisIterator(Axis.CHILD, new QName("font-base")).hasNext();
            try {
                // The configuration's <font-base> (if any) resolves against the fonts directory.
                builder = new FopConfParser(new ByteArrayInputStream(serialise(config)), fontBase, environment)
                        .getFopFactoryBuilder();
            } catch (SAXException | IOException | RuntimeException e) {
                throw new Failure(configPath, 0, 0, "FOP configuration: " + Failure.firstMessage(e));
            }
        }
        if (!hasFontBase) {
            builder.getFontManager().setResourceResolver(
                    ResourceResolverFactory.createInternalResourceResolver(fontBase, resolver));
        }
        builder.setBaseURI(imageBase); // images: always the static directory, whatever <base> says
        try {
            return builder.build();
        } catch (RuntimeException e) {
            throw new Failure(configPath, 0, 0, "FOP configuration: " + Failure.firstMessage(e));
        }
    }

    void release(long id) {
        factories.remove(id);
    }

    private static URI directoryUri(String dir) {
        Path p = Paths.get(dir.isEmpty() ? "." : dir).toAbsolutePath().normalize();
        String uri = p.toUri().toString();
        return URI.create(uri.endsWith("/") ? uri : uri + "/");
    }

    /**
     * Parses the configuration with the worker's safe parser. FOP's own configuration reader uses whichever
     * DocumentBuilderFactory JAXP finds (Xerces, with external entities on), so it is given this parse
     * re-serialised: no DOCTYPE, no entity left to resolve.
     */
    private XdmNode parseConfig(String configPath) throws Failure {
        Path file = Paths.get(configPath);
        try {
            InputSource in = new InputSource(new ByteArrayInputStream(Files.readAllBytes(file)));
            in.setSystemId(file.toAbsolutePath().toUri().toString());
            XdmNode doc = saxon.newDocumentBuilder().build(new SAXSource(Sandbox.xmlReader(true), in));
            for (XdmNode child : doc.children()) {
                if (child.getNodeKind() == XdmNodeKind.ELEMENT) {
                    return child;
                }
            }
            throw new Failure(configPath, 0, 0, "FOP configuration: no root element");
        } catch (NoSuchFileException e) {
            throw new Failure(configPath, 0, 0, "FOP configuration: file not found");
        } catch (IOException e) {
            throw new Failure(configPath, 0, 0, "FOP configuration: " + Failure.firstMessage(e));
        } catch (SaxonApiException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof SAXParseException p) {
                    throw new Failure(configPath, p.getLineNumber(), p.getColumnNumber(),
                            "FOP configuration: " + p.getMessage());
                }
            }
            throw new Failure(configPath, 0, 0, "FOP configuration: " + Failure.firstMessage(e));
        }
    }

    private byte[] serialise(XdmNode node) throws Failure {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            saxon.newSerializer(out).serializeNode(node);
        } catch (SaxonApiException e) {
            throw new Failure("FOP configuration: " + Failure.firstMessage(e));
        }
        return out.toByteArray();
    }

    // ---------------------------------------------------------------------------------------------------------
    // RENDER_PDF

    byte[] render(long id, byte[] fo, BooleanSupplier cancelled) throws Failure {
        FopFactory factory = factories.get(id);
        if (factory == null) {
            throw new Failure("unknown FOP factory " + Long.toUnsignedString(id));
        }
        FOUserAgent agent = factory.newFOUserAgent();
        agent.getEventBroadcaster().addEventListener(event -> {
            EventSeverity severity = event.getSeverity();
            if (severity == EventSeverity.WARN || severity == EventSeverity.ERROR) {
                System.err.println("fop " + severity.getName() + ": " + EventFormatter.format(event));
            }
        });
        Output pdf = new Output(cancelled);
        try {
            Fop fop = factory.newFop(MimeConstants.MIME_PDF, agent, pdf);
            XMLReader reader = Sandbox.xmlReader(false);
            reader.setContentHandler(fop.getDefaultHandler());
            reader.parse(new InputSource(new Cancellable(new ByteArrayInputStream(fo), cancelled)));
        } catch (SAXParseException e) {
            throw new Failure("", e.getLineNumber(), e.getColumnNumber(), Failure.firstMessage(e));
        } catch (Exception e) {
            throw failure(e);
        }
        return pdf.toByteArray();
    }

    /** FOP's "systemId:line:column: " in front of a located message (the FO has no system id: "null"). */
    private static final Pattern LOCATED =
            Pattern.compile("^(?:null|[^\\s]*?):(\\d+):(\\d+): (.*)$", Pattern.DOTALL);

    /** An ERROR for what FOP threw: the first message down the causes, with its position in the FO if known. */
    private static Failure failure(Exception e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof FOPException f && f.isLocationSet() && f.getMessage() != null) {
                Matcher m = LOCATED.matcher(f.getMessage());
                if (m.matches()) {
                    return new Failure("", parse(m.group(1)), parse(m.group(2)), m.group(3));
                }
            }
        }
        return new Failure(Failure.firstMessage(e));
    }

    private static int parse(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The XSL-FO input, failing the parse (and so the rendering) once the call is cancelled. */
    private static final class Cancellable extends FilterInputStream {
        private final BooleanSupplier cancelled;

        Cancellable(InputStream in, BooleanSupplier cancelled) {
            super(in);
            this.cancelled = cancelled;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (cancelled.getAsBoolean()) {
                throw new IOException("cancelled");
            }
            return super.read(b, off, len);
        }
    }
}
