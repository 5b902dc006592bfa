package dev.vbank.artifacts.domain;

import dev.vbank.service.error.Invalid;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/** Checks of the names that become parts of object keys, and id generation. */
public final class Names {
    // starts with a letter or digit, so "." and ".." can never be a key segment
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private Names() {
    }

    public static String segment(String value, String param) {
        if (value == null || value.isEmpty()) {
            throw Invalid.of(param, param + " is required");
        }
        if (!SEGMENT.matcher(value).matches()) {
            throw Invalid.of(param, param + " must be 1-128 characters of letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit");
        }
        return value;
    }

    /** A dataset filename: a plain name (no path), at most 255 characters, ending in .jsonl or .csv. */
    public static String filename(String name) {
        if (name == null || name.isBlank()) {
            throw Invalid.of("filename", "filename is required");
        }
        if (name.length() > 255) {
            throw Invalid.of("filename", "filename has " + name.length() + " characters, the limit is 255");
        }
        if (name.contains("/") || name.contains("\\") || name.contains("..") || name.startsWith(".")) {
            throw Invalid.of("filename", "filename must be a plain file name, not a path");
        }
        if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '"')) {
            throw Invalid.of("filename", "filename contains control characters or quotes");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (!lower.endsWith(".jsonl") && !lower.endsWith(".csv")) {
            throw Invalid.of("filename", "filename must end in .jsonl or .csv");
        }
        return name;
    }

    /** {@code prefix-} and 24 lower-case hex digits (96 random bits). */
    public static String newId(String prefix) {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return prefix + "-" + HexFormat.of().formatHex(b);
    }

    public static int limit(Integer limit) {
        if (limit == null) {
            return 20;
        }
        if (limit < 1 || limit > 100) {
            throw Invalid.of("limit", "limit must be between 1 and 100");
        }
        return limit;
    }
}
