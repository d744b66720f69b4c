package endpoints.worker;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * An in-memory output (a transformation's result, a PDF) that fails the next write once its call has been
 * cancelled, which is how a cancelled call stops early: Saxon and FOP give up on an I/O error.
 */
final class Output extends OutputStream {
    /** The most an answer can carry: a frame is at most 1 GiB, of which 13 bytes are not the output. */
    static final int LIMIT = (int) Main.MAX_FRAME - 13;

    private final BooleanSupplier cancelled;
    private byte[] buf = new byte[16 * 1024];
    private int count;

    Output(BooleanSupplier cancelled) {
        this.cancelled = cancelled;
    }

    private void ensure(int more) throws IOException {
        if (cancelled.getAsBoolean()) {
            throw new IOException("cancelled");
        }
        if (count + (long) more > buf.length) {
            long wanted = Math.max(buf.length * 2L, count + (long) more);
            if (count + (long) more > LIMIT) {
                throw new IOException("output larger than " + LIMIT + " bytes (the protocol's 1 GiB frame limit)");
            }
            buf = Arrays.copyOf(buf, (int) Math.min(wanted, LIMIT));
        }
    }

    @Override
    public void write(int b) throws IOException {
        ensure(1);
        buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ensure(len);
        System.arraycopy(b, off, buf, count, len);
        count += len;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, count);
    }
}
