package endpoints.worker;

import org.xml.sax.helpers.XMLFilterImpl;

/**
 * The parser Saxon's configuration makes whenever it parses XML without being handed a reader by the worker
 * (parse-xml(), parse-xml-fragment(), anything else): {@link Sandbox#xmlReader} with DOCTYPEs allowed, so no
 * external entity and no external DTD is ever fetched. Public with a no-argument constructor because Saxon
 * instantiates it by class name ({@code Feature.SOURCE_PARSER_CLASS}, {@code Feature.STYLE_PARSER_CLASS}).
 */
public final class SafeXmlReader extends XMLFilterImpl {
    public SafeXmlReader() {
        super(Sandbox.xmlReader(true));
    }
}
