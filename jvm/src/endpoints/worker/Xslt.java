package endpoints.worker;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import javax.xml.transform.ErrorListener;
import javax.xml.transform.SourceLocator;
import javax.xml.transform.TransformerException;
import javax.xml.transform.URIResolver;
import javax.xml.transform.sax.SAXSource;

import net.sf.saxon.Configuration;
import net.sf.saxon.expr.instruct.TerminationException;
import net.sf.saxon.expr.parser.XPathParser;
import net.sf.saxon.functions.TransformFn;
import net.sf.saxon.functions.registry.BuiltInFunctionSet;
import net.sf.saxon.functions.registry.UseWhen30FunctionSet;
import net.sf.saxon.functions.registry.XPath20FunctionSet;
import net.sf.saxon.functions.registry.XPath30FunctionSet;
import net.sf.saxon.functions.registry.XPath31FunctionSet;
import net.sf.saxon.functions.registry.XSLT30FunctionSet;
import net.sf.saxon.lib.EnvironmentVariableResolver;
import net.sf.saxon.lib.Feature;
import net.sf.saxon.lib.OutputURIResolver;
import net.sf.saxon.lib.UnparsedTextURIResolver;
import net.sf.saxon.s9api.ItemType;
import net.sf.saxon.s9api.Processor;
import net.sf.saxon.s9api.QName;
import net.sf.saxon.s9api.SaxonApiException;
import net.sf.saxon.s9api.Serializer;
import net.sf.saxon.s9api.XdmAtomicValue;
import net.sf.saxon.s9api.XdmValue;
import net.sf.saxon.s9api.Xslt30Transformer;
import net.sf.saxon.s9api.XsltCompiler;
import net.sf.saxon.s9api.XsltExecutable;
import net.sf.saxon.trans.XPathException;
import net.sf.saxon.trans.XsltController;
import org.xml.sax.InputSource;

/**
 * Saxon-HE: one shared {@link Processor}, the compiled stylesheets by id, and the sandbox around them.
 *
 * <p>The processor is configured so that a stylesheet can read nothing unless it is given one of its own
 * resolvers (see {@link Sandbox}): the configuration-wide URI resolver, unparsed-text resolver, collection
 * finder and output resolver all refuse; environment-variable() sees no variables; reflexive Java calls are off
 * ({@code Feature.ALLOW_EXTERNAL_FUNCTIONS}, and Saxon-HE has none anyway); every parser Saxon makes by itself is
 * {@link SafeXmlReader}; and fn:transform() is removed (it would compile and run stylesheets with a configuration
 * the stylesheet itself can supply).
 */
final class Xslt {

    /** A compiled stylesheet and the resolvers its transformations run with. */
    private record Stylesheet(XsltExecutable executable, URIResolver documents, UnparsedTextURIResolver texts) {
    }

    private final Processor processor = new Processor(false);
    private final Map<Long, Stylesheet> stylesheets = new ConcurrentHashMap<>();

    @SuppressWarnings("deprecation") // setOutputURIResolver: a second lock on xsl:result-document
    Xslt() {
        processor.setConfigurationProperty(Feature.ALLOW_EXTERNAL_FUNCTIONS, false);
        processor.setConfigurationProperty(Feature.ENVIRONMENT_VARIABLE_RESOLVER, new EnvironmentVariableResolver() {
            @Override
            public Set<String> getAvailableEnvironmentVariables() {
                return Collections.emptySet();
            }

            @Override
            public String getEnvironmentVariable(String name) {
                return null;
            }
        });
        processor.setConfigurationProperty(Feature.SOURCE_PARSER_CLASS, SafeXmlReader.class.getName());
        processor.setConfigurationProperty(Feature.STYLE_PARSER_CLASS, SafeXmlReader.class.getName());
        Configuration config = processor.getUnderlyingConfiguration();
        config.setURIResolver(Sandbox.REFUSE_DOCUMENTS);
        config.setUnparsedTextURIResolver(Sandbox.REFUSE_TEXT);
        config.setCollectionFinder((context, uri) -> {
            throw new XPathException("access to collection " + uri + " is not allowed", "FODC0002");
        });
        config.setOutputURIResolver(REFUSE_OUTPUT);
        Functions.register(processor);
        removeTransformFunction();
    }

    Processor processor() {
        return processor;
    }

    String version() {
        return "Saxon-" + processor.getSaxonEdition() + " " + processor.getSaxonProductVersion();
    }

    // ---------------------------------------------------------------------------------------------------------
    // COMPILE_XSLT, RELEASE_XSLT

    /**
     * Compiles the stylesheet at {@code path} as stylesheet {@code id}, replacing any stylesheet of that id. If
     * it fails, the id names no stylesheet any more (a TRANSFORM with it does not run an older version).
     */
    void compile(long id, String path, List<String> roots, List<String> deny) throws Failure {
        try {
            stylesheets.put(id, compile(path, new Sandbox(roots, deny)));
        } catch (Failure | RuntimeException | Error e) {
            stylesheets.remove(id);
            throw e;
        }
    }

    private Stylesheet compile(String path, Sandbox sandbox) throws Failure {
        Path file = Paths.get(path).toAbsolutePath();
        String uri = file.toUri().toString();
        InputSource in;
        try {
            in = new InputSource(new ByteArrayInputStream(Files.readAllBytes(file)));
        } catch (NoSuchFileException e) {
            throw new Failure(path, 0, 0, "cannot read the stylesheet: file not found");
        } catch (IOException e) {
            throw new Failure(path, 0, 0, "cannot read the stylesheet: " + Failure.firstMessage(e));
        }
        in.setSystemId(uri);

        XsltCompiler compiler = processor.newXsltCompiler();
        compiler.setJustInTimeCompilation(false); // every static error now, not at first use of a template
        compiler.setURIResolver(sandbox.stylesheetResolver());
        Errors errors = new Errors("xslt compile warning", true);
        compiler.setErrorListener(errors);
        XsltExecutable executable;
        try {
            executable = compiler.compile(new SAXSource(new StylesheetFilter(Sandbox.xmlReader(true)), in));
        } catch (SaxonApiException e) {
            List<Failure.Diagnostic> found = new ArrayList<>(errors.reported);
            if (found.isEmpty()) {
                found.add(diagnostic(e.getCause() instanceof TransformerException t ? t : null, e, path));
            }
            throw new Failure(found);
        }
        return new Stylesheet(executable, sandbox.documentResolver(), sandbox.textResolver());
    }

    void release(long id) {
        stylesheets.remove(id);
    }

    // ---------------------------------------------------------------------------------------------------------
    // TRANSFORM

    /**
     * Runs stylesheet {@code id} over {@code input} and returns the serialised principal result (UTF-8).
     *
     * @param cancelled polled while output is written: a cancelled call stops at its next write
     */
    byte[] transform(long id, byte[] input, List<String[]> params, BooleanSupplier cancelled) throws Failure {
        Stylesheet stylesheet = stylesheets.get(id);
        if (stylesheet == null) {
            throw new Failure("unknown stylesheet " + Long.toUnsignedString(id));
        }
        Xslt30Transformer transformer = stylesheet.executable().load30();
        transformer.setURIResolver(stylesheet.documents());
        XsltController controller = transformer.getUnderlyingController();
        controller.setUnparsedTextURIResolver(stylesheet.texts());
        controller.setOutputURIResolver(REFUSE_OUTPUT);
        transformer.setResultDocumentHandler(href -> {
            throw new IllegalStateException("xsl:result-document may not write " + href);
        });
        Errors errors = new Errors("xslt warning", false);
        transformer.setErrorListener(errors);
        String[] terminated = {null};
        transformer.setMessageListener((content, terminate, locator) -> {
            String text = content.getStringValue();
            for (String line : text.split("\r?\n", -1)) {
                System.err.println("xsl:message: " + line);
            }
            if (terminate) {
                terminated[0] = text;
            }
        });

        Map<QName, XdmValue> values = new HashMap<>();
        Output output = new Output(cancelled);
        try {
            for (String[] p : params) {
                // As Saxon's JAXP layer (which the reference engine uses) passes strings: xs:untypedAtomic, so
                // that a parameter declared as="xs:integer" (etc.) is converted; as="xs:string" gets a string.
                values.put(new QName(p[0]), new XdmAtomicValue(p[1], ItemType.UNTYPED_ATOMIC));
            }
            transformer.setStylesheetParameters(values);
            Serializer serializer = transformer.newSerializer(output);
            serializer.setOutputProperty(Serializer.Property.ENCODING, "UTF-8");
            InputSource in = new InputSource(new ByteArrayInputStream(input));
            transformer.transform(new SAXSource(Sandbox.xmlReader(false), in), serializer);
        } catch (SaxonApiException e) {
            TransformerException cause = e.getCause() instanceof TransformerException t ? t : null;
            Failure.Diagnostic d = diagnostic(cause, e, "");
            if (cause instanceof TerminationException && terminated[0] != null && !terminated[0].isBlank()) {
                d = new Failure.Diagnostic(d.file(), d.line(), d.column(), terminated[0]);
            }
            throw new Failure(List.of(d));
        }
        return output.toByteArray();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Diagnostics

    /**
     * Collects the errors Saxon reports while compiling (for COMPILE_XSLT's answer). Warnings, and the
     * recoverable errors of a transformation (its fatal error is what it throws), go to stderr.
     */
    private static final class Errors implements ErrorListener {
        final List<Failure.Diagnostic> reported = Collections.synchronizedList(new ArrayList<>());
        private final String warningPrefix;
        private final boolean compiling;

        Errors(String warningPrefix, boolean compiling) {
            this.warningPrefix = warningPrefix;
            this.compiling = compiling;
        }

        @Override
        public void warning(TransformerException e) {
            Failure.Diagnostic d = diagnostic(e, e, "");
            System.err.println(warningPrefix + ": " + (d.file().isEmpty() ? "" : d.file() + ":" + d.line() + ":"
                    + d.column() + ": ") + d.message());
        }

        @Override
        public void error(TransformerException e) {
            if (compiling) {
                reported.add(diagnostic(e, e, ""));
            } else {
                warning(e);
            }
        }

        @Override
        public void fatalError(TransformerException e) {
            reported.add(diagnostic(e, e, ""));
        }
    }

    /**
     * A diagnostic from Saxon's exception: "CODE: message" and where (the module's path, line, column).
     *
     * @param e the TransformerException (XPathException) if there is one, else null
     * @param outer what was thrown, for its message when there is no {@code e}
     */
    static Failure.Diagnostic diagnostic(TransformerException e, Exception outer, String defaultFile) {
        if (e == null) {
            return new Failure.Diagnostic(defaultFile, 0, 0, Failure.firstMessage(outer));
        }
        String message = Failure.withoutClassNames(e.getMessage());
        if (message == null || message.isBlank()) {
            message = Failure.firstMessage(e);
        }
        // Saxon wraps what a resolver or the XML parser throws ("Exception thrown by URIResolver", "Error reported by
        // XML parser"): say what the resolver or the parser said.
        Throwable cause = e.getException();
        if (cause != null && cause != e && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message = message + ": " + Failure.withoutClassNames(cause.getMessage());
        }
        String code = e instanceof XPathException x ? x.getErrorCodeLocalPart() : null;
        if (code != null && !message.startsWith(code)) {
            message = code + ": " + message;
        }
        SourceLocator locator = e.getLocator();
        if (locator == null && e.getException() instanceof TransformerException inner) {
            locator = inner.getLocator();
        }
        if (locator == null && e.getException() instanceof org.xml.sax.SAXParseException sax) {
            return new Failure.Diagnostic(Failure.pathOf(sax.getSystemId()), sax.getLineNumber(),
                    sax.getColumnNumber(), message);
        }
        if (locator == null) {
            return new Failure.Diagnostic(defaultFile, 0, 0, message);
        }
        String file = Failure.pathOf(locator.getSystemId());
        int column = locator.getColumnNumber();
        if (locator instanceof XPathParser.NestedLocation nested && nested.getLocalLineNumber() == 0) {
            // In an XPath expression Saxon counts columns from the start of the expression; the element's column
            // (where its start tag ends, as for any other error) is the one that means something in the file.
            column = nested.getContainingLocation().getColumnNumber();
        }
        return new Failure.Diagnostic(file.isEmpty() ? defaultFile : file, locator.getLineNumber(), column,
                message);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sandbox pieces

    private static final OutputURIResolver REFUSE_OUTPUT = new OutputURIResolver() {
        @Override
        public OutputURIResolver newInstance() {
            return this;
        }

        @Override
        public javax.xml.transform.Result resolve(String href, String base) throws TransformerException {
            throw new XPathException("xsl:result-document may not write " + href, "XTDE1480");
        }

        @Override
        public void close(javax.xml.transform.Result result) {
        }
    };

    /**
     * Takes fn:transform() out of Saxon's built-in function tables (process-wide, once, before any compile). A
     * call to it is then a static error (XPST0017) and function-lookup() does not find it.
     */
    private static void removeTransformFunction() {
        try {
            Field table = BuiltInFunctionSet.class.getDeclaredField("functionTable");
            table.setAccessible(true);
            for (BuiltInFunctionSet set : Arrays.asList(XPath20FunctionSet.getInstance(),
                    XPath30FunctionSet.getInstance(), XPath31FunctionSet.getInstance(),
                    XSLT30FunctionSet.getInstance(), UseWhen30FunctionSet.getInstance())) {
                @SuppressWarnings("unchecked")
                Map<String, BuiltInFunctionSet.Entry> entries = (Map<String, BuiltInFunctionSet.Entry>) table.get(set);
                entries.values().removeIf(entry -> entry.implementationClass == TransformFn.class);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot disable fn:transform(): " + e, e);
        }
    }
}
