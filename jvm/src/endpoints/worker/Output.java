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
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new IOException("output larger than 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) wanted);
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
