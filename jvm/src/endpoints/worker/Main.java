package endpoints.worker;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker process: Saxon-HE and Apache FOP kept warm for the endpoints engine, which talks to it over
 * stdin/stdout (see jvm/README.md for the protocol).
 *
 * <p>The main thread only reads frames and dispatches them: compile, transform, configure and render requests
 * run on a fixed pool of {@code --threads N} threads; release, ping and cancel are handled at once. Answers are
 * written one whole frame at a time under a lock. Nothing but frames is ever written to stdout
 * ({@code System.out} is pointed at stderr).
 *
 * <p>End of input means the engine has gone (even if it was killed): the worker exits at once.
 */
public final class Main {
    // Engine -> worker
    static final int COMPILE_XSLT = 0x01;
    static final int TRANSFORM = 0x02;
    static final int RELEASE_XSLT = 0x03;
    static final int FOP_CONFIGURE = 0x04;
    static final int RENDER_PDF = 0x05;
    static final int RELEASE_FOP = 0x06;
    static final int PING = 0x07;
    static final int CANCEL = 0x08;
    // Worker -> engine
    static final int READY = 0x80;
    static final int OK = 0x81;
    static final int ERROR = 0x82;

    /** Largest frame accepted (length field: the bytes after it). */
    static final long MAX_FRAME = 1L << 30;
    private static final byte[] EMPTY = new byte[0];

    /** Stack of each pool thread: deep template/function recursion is common in XSLT. */
    private static final long THREAD_STACK = 64L << 20;

    /** A request running (or queued) on the pool. */
    private static final class Call {
        final long id;
        volatile boolean cancelled;
        FutureTask<Void> task;

        Call(long id) {
            this.id = id;
        }
    }

    /** Handles one request on a pool thread; returns the OK payload or throws (Failure: an ERROR answer). */
    @FunctionalInterface
    private interface Handler {
        byte[] run(Call call) throws Exception;
    }

    private final DataInputStream in;
    private final DataOutputStream out;
    private final ThreadPoolExecutor pool;
    private final Map<Long, Call> calls = new ConcurrentHashMap<>();
    private final Xslt xslt;
    private final Pdf pdf;

    private Main(int threads) {
        in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16));
        out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
        System.setOut(System.err); // whatever a library prints must not corrupt the frames on stdout
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(null, r, "worker-" + n.incrementAndGet(), THREAD_STACK);
            t.setDaemon(true);
            return t;
        });
        pool.prestartAllCoreThreads();
        // Initialise the classes that format stack traces now, in a shallow stack: initialised for the first time
        // at the bottom of a stack overflow, they would fail and stay unusable (NoClassDefFoundError) for good.
        try {
            Class.forName("java.lang.StackTraceElement$HashedModules", true, null);
        } catch (ClassNotFoundException | LinkageError e) {
            // another JDK: nothing to do
        }
        new Throwable().printStackTrace(new PrintStream(OutputStream.nullOutputStream()));
        xslt = new Xslt();
        pdf = new Pdf(xslt.processor());
    }

    public static void main(String[] args) {
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--threads") && i + 1 < args.length) {
                try {
                    threads = Integer.parseInt(args[++i]);
                } catch (NumberFormatException e) {
                    threads = 0;
                }
                if (threads < 1 || threads > 1024) {
                    die(2, "--threads wants a number from 1 to 1024, not " + args[i]);
                }
            } else {
                die(2, "usage: java endpoints.worker.Main [--threads N]");
            }
        }
        Main main = null;
        try {
            main = new Main(threads);
        } catch (Throwable t) {
            t.printStackTrace();
            die(1, "cannot start: " + Failure.firstMessage(t));
        }
        String description = main.xslt.version() + ", " + Pdf.version() + ", Java "
                + System.getProperty("java.version") + ", " + threads + (threads == 1 ? " thread" : " threads");
        main.send(READY, 0, new Wire.Out().str(description).toByteArray());
        try {
            main.readLoop();
        } catch (OutOfMemoryError e) {
            die(3, "out of memory reading requests");
        } catch (Throwable t) {
            t.printStackTrace();
            die(2, "fatal: " + Failure.firstMessage(t));
        }
    }

    private static void die(int status, String message) {
        System.err.println("endpoints worker: " + message);
        System.exit(status);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reading and dispatching

    private void readLoop() throws IOException {
        while (true) {
            long length;
            int kind;
            long id;
            byte[] payload;
            try {
                length = in.readInt() & 0xffffffffL;
                if (length < 9 || length > MAX_FRAME) {
                    die(2, "bad frame length " + length + " (9 to " + MAX_FRAME + " allowed)");
                }
                kind = in.readUnsignedByte();
                id = in.readLong();
                try {
                    payload = new byte[(int) (length - 9)];
                } catch (OutOfMemoryError e) {
                    in.skipNBytes(length - 9);
                    sendError(id, "request of " + length + " bytes does not fit in the worker's memory");
                    continue;
                }
                in.readFully(payload);
            } catch (EOFException e) {
                System.exit(0); // the engine has gone
                return;
            }
            try {
                dispatch(kind, id, payload);
            } catch (OutOfMemoryError e) {
                payload = null;
                sendError(id, "request of " + length + " bytes does not fit in the worker's memory");
            } catch (Wire.Malformed e) {
                die(2, String.format("malformed frame (kind 0x%02x, id %s): %s", kind, Long.toUnsignedString(id),
                        e.getMessage()));
            }
        }
    }

    private void dispatch(int kind, long id, byte[] payload) throws Wire.Malformed {
        Wire.In p = new Wire.In(payload);
        switch (kind) {
            case COMPILE_XSLT -> {
                long stylesheet = p.u64();
                String path = p.str();
                List<String> roots = p.strs();
                List<String> deny = p.strs();
                p.end();
                submit(id, false, call -> {
                    xslt.compile(stylesheet, path, roots, deny);
                    return EMPTY;
                });
            }
            case TRANSFORM -> {
                long stylesheet = p.u64();
                byte[] input = p.bytes();
                long n = p.u32();
                List<String[]> params = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    params.add(new String[] {p.str(), p.str()});
                }
                p.end();
                submit(id, true, call -> xslt.transform(stylesheet, input, params, () -> call.cancelled));
            }
            case RELEASE_XSLT -> {
                long stylesheet = p.u64();
                p.end();
                xslt.release(stylesheet);
            }
            case FOP_CONFIGURE -> {
                long factory = p.u64();
                String config = p.str();
                String fontBase = p.str();
                String imageBase = p.str();
                List<String> roots = p.strs();
                p.end();
                submit(id, false, call -> {
                    pdf.configure(factory, config, fontBase, imageBase, roots);
                    return EMPTY;
                });
            }
            case RENDER_PDF -> {
                long factory = p.u64();
                byte[] fo = p.bytes();
                p.end();
                submit(id, true, call -> pdf.render(factory, fo, () -> call.cancelled));
            }
            case RELEASE_FOP -> {
                long factory = p.u64();
                p.end();
                pdf.release(factory);
            }
            case PING -> {
                p.end();
                // Answered by the reading thread itself, so that it answers even when every pool thread is busy.
                send(OK, id, new Wire.Out().u32(pool.getActiveCount()).u32(pool.getQueue().size()).toByteArray());
            }
            case CANCEL -> {
                long target = p.u64();
                p.end();
                Call call = calls.remove(target);
                if (call != null) {
                    call.cancelled = true;
                    call.task.cancel(true);
                    pool.purge(); // drop it from the queue if it had not started
                }
            }
            default -> sendError(id, String.format("unknown request kind 0x%02x", kind));
        }
    }

    /** Queues a request on the pool; {@code bytesPayload}: the handler's result is sent as one {@code bytes}. */
    private void submit(long id, boolean bytesPayload, Handler handler) {
        Call call = new Call(id);
        call.task = new FutureTask<>(() -> {
            execute(call, bytesPayload, handler);
            return null;
        });
        calls.put(id, call);
        pool.execute(call.task);
    }

    private void execute(Call call, boolean bytesPayload, Handler handler) {
        List<Failure.Diagnostic> failure;
        try {
            byte[] result = handler.run(call);
            if (!call.cancelled) {
                if (bytesPayload) {
                    sendBytes(call.id, result);
                } else {
                    send(OK, call.id, result);
                }
                return;
            }
            failure = CANCELLED;
        } catch (Failure f) {
            failure = call.cancelled ? CANCELLED : f.diagnostics;
        } catch (StackOverflowError e) {
            failure = diagnostic("stack overflow: recursion too deep");
        } catch (OutOfMemoryError e) {
            outOfMemory(call.id);
            return;
        } catch (Throwable t) {
            failure = call.cancelled ? CANCELLED : internalError(call.id, t);
        } finally {
            calls.remove(call.id);
        }
        try {
            sendError(call.id, failure);
        } catch (Throwable t) {
            Runtime.getRuntime().halt(3); // cannot even answer: the JVM is not usable any more
        }
    }

    private static final List<Failure.Diagnostic> CANCELLED = diagnostic("cancelled");

    private static List<Failure.Diagnostic> diagnostic(String message) {
        return List.of(new Failure.Diagnostic("", 0, 0, message));
    }

    /** A bug or an unexpected exception in a library: ERROR with its message; the stack trace to stderr. */
    private static List<Failure.Diagnostic> internalError(long id, Throwable t) {
        try {
            System.err.println("endpoints worker: call " + Long.toUnsignedString(id) + " failed:");
            t.printStackTrace();
        } catch (Throwable ignored) {
            // printing can fail too (e.g. a class whose initialisation a stack overflow broke)
        }
        return diagnostic("internal error: " + t.getClass().getName() + ": " + Failure.firstMessage(t));
    }

    /** Answers the call that ran out of memory if that is still possible; exits (status 3) if not. */
    private void outOfMemory(long id) {
        try {
            sendError(id, "out of memory");
            byte[] probe = new byte[4 << 20]; // can the JVM go on? (other calls may still hold their memory)
            probe[0] = 1;
        } catch (Throwable t) {
            Runtime.getRuntime().halt(3);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Writing

    /** Writes one frame. A failed write means the engine has gone: exit. */
    private void send(int kind, long id, byte[] payload) {
        synchronized (out) {
            try {
                out.writeInt(9 + payload.length);
                out.writeByte(kind);
                out.writeLong(id);
                out.write(payload);
                out.flush();
            } catch (IOException e) {
                System.exit(0);
            }
        }
    }

    /** OK with the payload {@code bytes data}, without copying data into a payload first. */
    private void sendBytes(long id, byte[] data) {
        synchronized (out) {
            try {
                out.writeInt(9 + 4 + data.length);
                out.writeByte(OK);
                out.writeLong(id);
                out.writeInt(data.length);
                out.write(data);
                out.flush();
            } catch (IOException e) {
                System.exit(0);
            }
        }
    }

    private void sendError(long id, String message) {
        sendError(id, diagnostic(message));
    }

    private void sendError(long id, List<Failure.Diagnostic> diagnostics) {
        Wire.Out p = new Wire.Out().u32(diagnostics.size());
        for (Failure.Diagnostic d : diagnostics) {
            p.str(d.file()).u32(d.line()).u32(d.column()).str(d.message());
        }
        send(ERROR, id, p.toByteArray());
    }
}
