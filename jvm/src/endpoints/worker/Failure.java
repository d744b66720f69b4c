package endpoints.worker;

import java.net.URI;
import java.nio.file.Paths;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A call that failed: one or more diagnostics, sent back as the payload of an ERROR frame.
 * Messages are meant for people (the application's author): never stack traces.
 */
final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    /** One diagnostic: {@code file} is a plain path ("" if unknown), line and column are 1-based (0 if unknown). */
    record Diagnostic(String file, int line, int column, String message) {
        Diagnostic {
            file = file == null ? "" : file;
            line = Math.max(line, 0);
            column = Math.max(column, 0);
            message = message == null || message.isBlank() ? "unknown error" : message;
        }
    }

    final List<Diagnostic> diagnostics;

    /** At least one diagnostic; the same one reported twice is kept once. */
    Failure(List<Diagnostic> diagnostics) {
        super(diagnostics.isEmpty() ? "unknown error" : diagnostics.get(0).message(), null, false, false);
        this.diagnostics = diagnostics.isEmpty() ? List.of(new Diagnostic("", 0, 0, "unknown error"))
                : List.copyOf(new LinkedHashSet<>(diagnostics));
    }

    Failure(String file, int line, int column, String message) {
        this(List.of(new Diagnostic(file, line, column, message)));
    }

    Failure(String message) {
        this("", 0, 0, message);
    }

    /** A system id as Saxon or a SAX parser reports it, as a plain filesystem path where it is a file: URI. */
    static String pathOf(String systemId) {
        if (systemId == null || systemId.isEmpty()) {
            return "";
        }
        if (systemId.startsWith("file:")) {
            try {
                return Paths.get(new URI(systemId)).toString();
            } catch (Exception e) {
                return systemId.substring("file:".length());
            }
        }
        return systemId;
    }

    /** A Java exception's class name where a library put it in front of a message ("java.io.IOException: "). */
    private static final Pattern CLASS_NAME =
            Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error): ");

    /** The message without Java exception class names in it: the reader is a stylesheet's author. */
    static String withoutClassNames(String message) {
        return message == null ? null : CLASS_NAME.matcher(message).replaceAll("");
    }

    /** The first message found walking down the causes of {@code t} (the outermost one that has a message). */
    static String firstMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = withoutClassNames(c.getMessage());
            if (m != null && !m.isBlank()) {
                return m;
            }
        }
        return t.getClass().getSimpleName();
    }
}
