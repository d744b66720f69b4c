package endpoints.worker;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import net.sf.saxon.expr.XPathContext;
import net.sf.saxon.lib.ExtensionFunctionCall;
import net.sf.saxon.lib.ExtensionFunctionDefinition;
import net.sf.saxon.om.Item;
import net.sf.saxon.om.Sequence;
import net.sf.saxon.om.StructuredQName;
import net.sf.saxon.s9api.Processor;
import net.sf.saxon.trans.XPathException;
import net.sf.saxon.value.SequenceType;
import net.sf.saxon.value.StringValue;

/**
 * The extension functions every stylesheet may call; the same set the engine's libxslt path offers.
 *
 * <table>
 * <tr><th>namespace</th><th>function</th><th>result</th></tr>
 * <tr><td>urn:endpoints:functions</td><td>uuid()</td><td>random UUID v4, lowercase</td></tr>
 * <tr><td></td><td>base64-encode($s), base64-decode($s)</td><td>standard padded base64 of the UTF-8 bytes</td></tr>
 * <tr><td></td><td>sha256-hex($s)</td><td>lowercase hex SHA-256 of the UTF-8 bytes</td></tr>
 * <tr><td>java:java.util.UUID</td><td>randomUUID()</td><td>as uuid()</td></tr>
 * <tr><td>java:com.offerready.xslt.xsltfunction.Base64</td><td>encode($s), decode($s)</td><td>as base64-*</td></tr>
 * <tr><td>java:org.apache.commons.codec.digest.DigestUtils</td><td>sha256Hex($s)</td><td>as sha256-hex</td></tr>
 * </table>
 *
 * Arguments are {@code xs:string?} (the empty sequence counts as ""), results {@code xs:string}. The java:
 * namespaces are those OpenEndpoints stylesheets use, so that they run unchanged; they are plain integrated
 * extension functions here, not reflexive Java calls (any other java: function is a static error, XPST0017).
 */
final class Functions {
    static final String NS = "urn:endpoints:functions";
    private static final String UUID_NS = "java:java.util.UUID";
    private static final String BASE64_NS = "java:com.offerready.xslt.xsltfunction.Base64";
    private static final String DIGEST_NS = "java:org.apache.commons.codec.digest.DigestUtils";

    private Functions() {
    }

    @FunctionalInterface
    private interface Body {
        String apply(String arg) throws XPathException;
    }

    static void register(Processor processor) {
        List<ExtensionFunctionDefinition> all = List.of(
                function(NS, "uuid", 0, true, s -> uuid()),
                function(NS, "base64-encode", 1, false, Functions::base64Encode),
                function(NS, "base64-decode", 1, false, Functions::base64Decode),
                function(NS, "sha256-hex", 1, false, Functions::sha256Hex),
                function(UUID_NS, "randomUUID", 0, true, s -> uuid()),
                function(BASE64_NS, "encode", 1, false, Functions::base64Encode),
                function(BASE64_NS, "decode", 1, false, Functions::base64Decode),
                function(DIGEST_NS, "sha256Hex", 1, false, Functions::sha256Hex));
        for (ExtensionFunctionDefinition f : all) {
            processor.registerExtensionFunction(f);
        }
    }

    static String uuid() {
        return UUID.randomUUID().toString(); // version 4, lowercase hex
    }

    static String base64Encode(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Strict: ASCII whitespace is ignored, but padding must be right and unused bits zero (canonical input). */
    static String base64Decode(String s) throws XPathException {
        StringBuilder compact = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
                compact.append(c);
            }
        }
        String in = compact.toString();
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(in);
        } catch (IllegalArgumentException e) {
            throw new XPathException("base64-decode(): invalid base64 input: " + e.getMessage(), "FORG0001");
        }
        if (!Base64.getEncoder().encodeToString(bytes).equals(in)) {
            throw new XPathException("base64-decode(): invalid base64 input: not canonical padded base64",
                    "FORG0001");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new XPathException("base64-decode(): decoded base64 is not UTF-8 text", "FORG0001");
        }
    }

    static String sha256Hex(String s) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder(64);
            for (byte b : digest) {
                hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ExtensionFunctionDefinition function(String ns, String name, int arity, boolean random,
            Body body) {
        StructuredQName qname = new StructuredQName("", ns, name);
        SequenceType[] args = arity == 0 ? new SequenceType[0] : new SequenceType[] {SequenceType.OPTIONAL_STRING};
        return new ExtensionFunctionDefinition() {
            @Override
            public StructuredQName getFunctionQName() {
                return qname;
            }

            @Override
            public SequenceType[] getArgumentTypes() {
                return args;
            }

            @Override
            public SequenceType getResultType(SequenceType[] suppliedArgumentTypes) {
                return SequenceType.SINGLE_STRING;
            }

            @Override
            public boolean trustResultType() {
                return true;
            }

            /** uuid() must give a new value at each call: not lifted out of loops, not computed once. */
            @Override
            public boolean hasSideEffects() {
                return random;
            }

            @Override
            public ExtensionFunctionCall makeCallExpression() {
                return new ExtensionFunctionCall() {
                    @Override
                    @SuppressWarnings("rawtypes") // Saxon's own signature
                    public Sequence<?> call(XPathContext context, Sequence[] arguments) throws XPathException {
                        String arg = "";
                        if (arguments.length > 0) {
                            Item item = arguments[0].head();
                            arg = item == null ? "" : item.getStringValue();
                        }
                        return new StringValue(body.apply(arg));
                    }
                };
            }
        };
    }
}
