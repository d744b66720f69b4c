// The anchor of the "pdf" workload (bench/README.md): Apache FOP warm, without HTTP and without the engine.
//
//   java -cp CLASSES:FOP_JARS -Dorg.apache.commons.logging.Log=org.apache.commons.logging.impl.NoOpLog \
//        FopWarm FO_FILE BASE_DIR WARMUP_SECONDS MEASURE_SECONDS [OUT.pdf]
//
// One FopFactory (base URI BASE_DIR, where relative image URLs such as the logo resolve; no configuration, so
// FOP's base-14 fonts, as the engine's factory for an application without fonts/apache-fop-config.xml), one
// thread: parse the FO from memory with the JDK's own SAX parser (as the engine's worker does) into a new Fop per
// document, PDF into memory. Renders for WARMUP_SECONDS (JIT), then for MEASURE_SECONDS, and prints one JSON line:
// {"renders": N, "seconds": S, "per_sec": R, "p50_ms": M, "pdf_bytes": B}.
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.xml.parsers.SAXParserFactory;
import org.apache.fop.apps.Fop;
import org.apache.fop.apps.FopFactory;
import org.apache.fop.apps.FopFactoryBuilder;
import org.apache.fop.apps.MimeConstants;
import org.xml.sax.InputSource;
import org.xml.sax.XMLReader;

public final class FopWarm {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: FopWarm FO_FILE BASE_DIR WARMUP_SECONDS MEASURE_SECONDS [OUT.pdf]");
            System.exit(2);
        }
        byte[] fo = Files.readAllBytes(Paths.get(args[0]));
        FopFactory factory = new FopFactoryBuilder(new File(args[1]).getAbsoluteFile().toURI()).build();
        SAXParserFactory spf = SAXParserFactory.newDefaultInstance(); // the JDK's parser, not Xerces from the jars
        spf.setNamespaceAware(true);
        long warmup = (long) (Double.parseDouble(args[2]) * 1e9);
        long measure = (long) (Double.parseDouble(args[3]) * 1e9);

        byte[] pdf = null;
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < warmup) {
            pdf = render(factory, spf, fo);
        }
        List<Long> times = new ArrayList<>();
        long start = System.nanoTime(), now = start;
        while (now - start < measure) {
            long a = System.nanoTime();
            pdf = render(factory, spf, fo);
            now = System.nanoTime();
            times.add(now - a);
        }
        double seconds = (now - start) / 1e9;
        Collections.sort(times);
        if (args.length > 4) {
            Files.write(Paths.get(args[4]), pdf);
        }
        System.out.printf(java.util.Locale.ROOT,
                "{\"renders\": %d, \"seconds\": %.3f, \"per_sec\": %.2f, \"p50_ms\": %.3f, \"pdf_bytes\": %d}%n",
                times.size(), seconds, times.size() / seconds, times.get(times.size() / 2) / 1e6, pdf.length);
    }

    static byte[] render(FopFactory factory, SAXParserFactory spf, byte[] fo) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        Fop fop = factory.newFop(MimeConstants.MIME_PDF, factory.newFOUserAgent(), out);
        XMLReader reader = spf.newSAXParser().getXMLReader();
        reader.setContentHandler(fop.getDefaultHandler());
        reader.parse(new InputSource(new ByteArrayInputStream(fo)));
        return out.toByteArray();
    }
}
