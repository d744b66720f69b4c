package endpoints.worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.xml.sax.Attributes;
import org.xml.sax.SAXException;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.AttributesImpl;
import org.xml.sax.helpers.XMLFilterImpl;

/**
 * Rewrites a stylesheet module while it is parsed, as the reference engine (OpenEndpoints) does on a DOM before
 * compiling:
 * <ul>
 * <li>{@code xsl:import-schema} elements are dropped (Saxon-HE refuses them; schemas are not needed);</li>
 * <li>the {@code href} attribute (and its XSLT 3.0 shadow attribute {@code _href}) of {@code xsl:result-document}
 * is dropped, so that a result document goes to the principal output and never to a file.</li>
 * </ul>
 * Being a SAX filter, it leaves line and column numbers of everything else as they are in the file.
 */
final class StylesheetFilter extends XMLFilterImpl {
    private static final String XSL = "http://www.w3.org/1999/XSL/Transform";

    /** Depth inside a dropped element (0: not in one). */
    private int skipDepth;
    /** Namespace declarations reported for the next start tag, held back until we know whether it is dropped. */
    private final List<String[]> pendingPrefixes = new ArrayList<>();
    /** For each open element: how many prefix mappings it declared, negative if the element was dropped. */
    private final Deque<Integer> declared = new ArrayDeque<>();
    /** endPrefixMapping events still to swallow (those of a dropped element, which come after its end tag). */
    private int swallowEnds;

    StylesheetFilter(XMLReader parent) {
        super(parent);
    }

    @Override
    public void startPrefixMapping(String prefix, String uri) throws SAXException {
        if (skipDepth == 0) {
            pendingPrefixes.add(new String[] {prefix, uri});
        }
    }

    @Override
    public void endPrefixMapping(String prefix) throws SAXException {
        if (swallowEnds > 0) {
            swallowEnds--;
        } else if (skipDepth == 0) {
            super.endPrefixMapping(prefix);
        }
    }

    @Override
    public void startElement(String uri, String localName, String qName, Attributes atts) throws SAXException {
        if (skipDepth > 0) {
            skipDepth++;
            return;
        }
        if (XSL.equals(uri) && "import-schema".equals(localName)) {
            skipDepth = 1;
            declared.push(-pendingPrefixes.size() - 1);
            pendingPrefixes.clear();
            return;
        }
        declared.push(pendingPrefixes.size());
        for (String[] p : pendingPrefixes) {
            super.startPrefixMapping(p[0], p[1]);
        }
        pendingPrefixes.clear();
        if (XSL.equals(uri) && "result-document".equals(localName)) {
            AttributesImpl kept = new AttributesImpl(atts);
            for (int i = kept.getLength() - 1; i >= 0; i--) {
                String name = kept.getLocalName(i);
                if (kept.getURI(i).isEmpty() && ("href".equals(name) || "_href".equals(name))) {
                    kept.removeAttribute(i);
                }
            }
            atts = kept;
        }
        super.startElement(uri, localName, qName, atts);
    }

    @Override
    public void endElement(String uri, String localName, String qName) throws SAXException {
        if (skipDepth > 1) {
            skipDepth--;
            return;
        }
        int n = declared.pop();
        if (skipDepth == 1) {
            skipDepth = 0;
            swallowEnds += -(n + 1);
            return;
        }
        super.endElement(uri, localName, qName);
    }

    @Override
    public void characters(char[] ch, int start, int length) throws SAXException {
        if (skipDepth == 0) {
            super.characters(ch, start, length);
        }
    }

    @Override
    public void ignorableWhitespace(char[] ch, int start, int length) throws SAXException {
        if (skipDepth == 0) {
            super.ignorableWhitespace(ch, start, length);
        }
    }

    @Override
    public void processingInstruction(String target, String data) throws SAXException {
        if (skipDepth == 0) {
            super.processingInstruction(target, data);
        }
    }
}
