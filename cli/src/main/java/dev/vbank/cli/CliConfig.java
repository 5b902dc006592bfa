package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The settings file ({@code ~/.config/vbank/config.json}, mode 0600) and how a setting is chosen: command-line flag, then
 * environment ({@code VBANK_ENDPOINT}, {@code VBANK_API_KEY}, {@code VBANK_PROFILE}), then the profile in the file,
 * then the default (the local platform's gateway for the endpoint; nothing for the key).
 */
public final class CliConfig {

    public static final String DEFAULT_ENDPOINT = "http://127.0.0.1:8080";
    public static final String DEFAULT_PROFILE = "default";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where a value came from, shown by {@code vbank configure} without arguments. */
    public enum Source { FLAG, ENVIRONMENT, FILE, DEFAULT, NONE }

    public record Setting(String value, Source source) {
    }

    public record Resolved(String profile, Setting endpoint, Setting apiKey, Path file) {
    }

    private final Map<String, String> env;
    private final Path file;

    public CliConfig(Map<String, String> env, Path home) {
        this.env = env;
        this.file = location(env, home);
    }

    /** {@code $VBANK_CONFIG}, else {@code $XDG_CONFIG_HOME/vbank/config.json}, else {@code ~/.config/vbank/config.json}. */
    static Path location(Map<String, String> env, Path home) {
        String explicit = env.get("VBANK_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config");
        return base.resolve("vbank").resolve("config.json");
    }

    public Path file() {
        return file;
    }

    public Resolved resolve(String profileFlag, String endpointFlag, String apiKeyFlag) {
        String profile = first(profileFlag, env.get("VBANK_PROFILE"), DEFAULT_PROFILE);
        JsonNode stored = read().path("profiles").path(profile);
        Setting endpoint = pick(endpointFlag, env.get("VBANK_ENDPOINT"), text(stored, "endpoint"), DEFAULT_ENDPOINT);
        Setting key = pick(apiKeyFlag, env.get("VBANK_API_KEY"), text(stored, "api_key"), null);
        return new Resolved(profile, new Setting(normalizeEndpoint(endpoint.value()), endpoint.source()), key, file);
    }

    /** Stores the given values (null = keep) in the profile; the file is replaced atomically and readable by its owner only. */
    public void write(String profile, String endpoint, String apiKey) {
        ObjectNode root = read().deepCopy();
        ObjectNode profiles = root.has("profiles") && root.get("profiles").isObject() ? (ObjectNode) root.get("profiles")
                : root.putObject("profiles");
        ObjectNode p = profiles.has(profile) && profiles.get(profile).isObject() ? (ObjectNode) profiles.get(profile)
                : profiles.putObject(profile);
        if (endpoint != null) {
            p.put("endpoint", normalizeEndpoint(endpoint));
        }
        if (apiKey != null) {
            p.put("api_key", apiKey);
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path tmp = dir.resolve(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException e) {
                throw new IOException("another vbank configure is writing " + tmp, e);
            }
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            throw new CliException(Exit.API_ERROR, "cannot write " + file + ": " + e.getMessage());
        }
    }

    JsonNode read() {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw new CliException(Exit.USAGE, file + " is not a JSON object; fix or remove it and run vbank configure");
            }
            return root;
        } catch (IOException e) {
            throw new CliException(Exit.USAGE, file + " is not valid JSON (" + e.getMessage().lines().findFirst().orElse("")
                    + "); fix or remove it and run vbank configure");
        }
    }

    /** http(s)://host[:port][/base] without a trailing slash; anything else is a usage error naming the value. */
    public static String normalizeEndpoint(String endpoint) {
        String e = endpoint.strip();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(e);
        } catch (IllegalArgumentException ex) {
            throw CliException.usage("endpoint '" + endpoint + "' is not a URL (expected e.g. " + DEFAULT_ENDPOINT + ")");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getQuery() != null || uri.getFragment() != null) {
            throw CliException.usage("endpoint '" + endpoint + "' must be an http(s) URL like " + DEFAULT_ENDPOINT);
        }
        return e;
    }

    private static Setting pick(String flag, String environment, String stored, String fallback) {
        if (flag != null && !flag.isBlank()) {
            return new Setting(flag.strip(), Source.FLAG);
        }
        if (environment != null && !environment.isBlank()) {
            return new Setting(environment.strip(), Source.ENVIRONMENT);
        }
        if (stored != null && !stored.isBlank()) {
            return new Setting(stored, Source.FILE);
        }
        return fallback == null ? new Setting(null, Source.NONE) : new Setting(fallback, Source.DEFAULT);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    /** The key as shown on screen: enough to recognise it, not enough to use it. */
    public static String mask(String key) {
        if (key == null) {
            return "(none)";
        }
        return key.length() <= 10 ? "****" : key.substring(0, 8) + "…" + key.substring(key.length() - 2);
    }
}
