package endpoints.worker;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Payload primitives of the protocol (big-endian, as DataInputStream / DataOutputStream):
 * {@code u32}, {@code u64}, {@code str} (u32 byte length + UTF-8), {@code bytes} (u32 length + raw bytes).
 */
final class Wire {
    private Wire() {
    }

    /** A payload that does not parse: the worker and the engine disagree about the protocol. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads a payload; every read checks that the bytes are there. */
    static final class In {
        private final byte[] buf;
        private int pos;

        In(byte[] buf) {
            this.buf = buf;
        }

        private void need(long n, String what) throws Malformed {
            if (n < 0 || n > buf.length - pos) {
                throw new Malformed("payload too short for " + what + " (need " + n + " bytes at offset " + pos
                        + " of " + buf.length + ")");
            }
        }

        /** An unsigned 32-bit number, as a long. */
        long u32() throws Malformed {
            need(4, "u32");
            long v = ((buf[pos] & 0xffL) << 24) | ((buf[pos + 1] & 0xffL) << 16) | ((buf[pos + 2] & 0xffL) << 8)
                    | (buf[pos + 3] & 0xffL);
            pos += 4;
            return v;
        }

        long u64() throws Malformed {
            need(8, "u64");
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (buf[pos + i] & 0xffL);
            }
            pos += 8;
            return v;
        }

        byte[] bytes() throws Malformed {
            long n = u32();
            need(n, "bytes");
            byte[] b = new byte[(int) n];
            System.arraycopy(buf, pos, b, 0, (int) n);
            pos += (int) n;
            return b;
        }

        String str() throws Malformed {
            long n = u32();
            need(n, "str");
            String s = new String(buf, pos, (int) n, StandardCharsets.UTF_8);
            pos += (int) n;
            return s;
        }

        /** A {@code u32} count followed by that many {@code str}. */
        List<String> strs() throws Malformed {
            long n = u32();
            need(n * 4, "list of " + n + " strings"); // each needs at least its length
            List<String> list = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) {
                list.add(str());
            }
            return list;
        }

        /** Every byte of the payload must have been read. */
        void end() throws Malformed {
            if (pos != buf.length) {
                throw new Malformed((buf.length - pos) + " unexpected bytes at the end of the payload");
            }
        }
    }

    /** Builds a payload. */
    static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream data = new DataOutputStream(bytes);

        Out u32(long v) {
            try {
                data.writeInt((int) v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Out str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            bytes.write(b, 0, b.length);
            return this;
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
