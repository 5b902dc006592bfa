package dev.vbank.cli;

/** The exit statuses of {@code vbank}, documented in cli/README.md. */
public final class Exit {
    public static final int OK = 0;
    /** The API answered 4xx/5xx (other than 401/403), or a local file could not be read or written. */
    public static final int API_ERROR = 1;
    /** Bad command line (picocli's own usage status). */
    public static final int USAGE = 2;
    /** The endpoint could not be reached (refused, unresolvable, timed out, connection dropped). */
    public static final int CONNECTION = 3;
    /** 401/403, or no API key configured. */
    public static final int AUTH = 4;
    /** A watched job or evaluation ended {@code failed}. */
    public static final int FAILED = 5;
    /** A watched job or evaluation ended {@code cancelled}. */
    public static final int CANCELLED = 6;
    /** A download's sha256 is not the one the API reported (the file is removed). */
    public static final int INTEGRITY = 7;

    private Exit() {
    }
}
