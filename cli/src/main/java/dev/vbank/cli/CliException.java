package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A failure that ends the command with {@link #exitCode()} and a one-line message on stderr. {@code body} is the API's
 * error object when there is one ({@code --json} prints it on stdout for scripts).
 */
public class CliException extends RuntimeException {

    private final int exitCode;
    private final transient JsonNode body;

    public CliException(int exitCode, String message) {
        this(exitCode, message, null, null);
    }

    public CliException(int exitCode, String message, JsonNode body, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.body = body;
    }

    public int exitCode() {
        return exitCode;
    }

    public JsonNode body() {
        return body;
    }

    public static CliException usage(String message) {
        return new CliException(Exit.USAGE, message);
    }
}
