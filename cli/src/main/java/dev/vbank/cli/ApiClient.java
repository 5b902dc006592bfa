package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The public API over {@link HttpClient}: every failure becomes a {@link CliException} with the exit status of its kind —
 * 401/403 (auth), other 4xx/5xx (API error with the server's message and param), unreachable endpoint (connection).
 */
public final class ApiClient {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String SHA_HEADER = "X-Vbank-Sha256";
    private static final String USER_AGENT = "vbank-cli/" + VbankCli.version();

    private final String endpoint;
    private final String apiKey;
    private final HttpClient http;
    private final Duration requestTimeout;

    public ApiClient(String endpoint, String apiKey, Duration connectTimeout, Duration requestTimeout) {
        this.endpoint = endpoint;
        this.apiKey = apiKey;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    public String endpoint() {
        return endpoint;
    }

    /** A JSON response, whole: the raw body text (for {@code --json}) and its tree. */
    public record Json(String raw, JsonNode tree) {
    }

    public Json get(String path, Map<String, String> query) {
        return json(request(path, query).GET().timeout(requestTimeout));
    }

    public Json post(String path, JsonNode body, String idempotencyKey) {
        HttpRequest.Builder b = request(path, Map.of()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "{}" : body.toString())).timeout(requestTimeout);
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return json(b);
    }

    public Json delete(String path) {
        return json(request(path, Map.of()).DELETE().timeout(requestTimeout));
    }

    /** A text body (e.g. CSV) with the given Accept; errors as for JSON calls. */
    public String text(String path, Map<String, String> query, String accept) {
        HttpResponse<String> r = send(request(path, query).header("Accept", accept).GET().timeout(requestTimeout),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        check(r.statusCode(), r.body(), r.headers().firstValue("Retry-After"));
        return r.body();
    }

    /** Streams the file as the raw request body ({@code POST /v1/files?filename=&purpose=}). */
    public Json upload(Path file, String filename, String purpose) {
        HttpRequest.BodyPublisher body;
        try {
            body = HttpRequest.BodyPublishers.ofFile(file);
        } catch (FileNotFoundException e) {
            throw new CliException(Exit.API_ERROR, "cannot read " + file + ": no such file");
        }
        Map<String, String> query = new LinkedHashMap<>();
        query.put("filename", filename);
        query.put("purpose", purpose);
        return json(request("/v1/files", query).header("Content-Type", "application/octet-stream").POST(body));
    }

    /** Sends a zip of a PEFT adapter directory as the raw body of {@code POST /v1/adapters}; {@code model} may be null. */
    public Json importAdapter(byte[] zip, String model) {
        Map<String, String> query = new LinkedHashMap<>();
        if (model != null) {
            query.put("model", model);
        }
        return json(request("/v1/adapters", query).header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
    }

    public record Download(Path file, long bytes, String sha256, String reportedSha256) {
    }

    /**
     * Streams a body into {@code target} through a temporary file beside it, hashing on the way; the file is moved into
     * place only when the sha256 equals {@code expectedSha256} (if given) and the {@code X-Vbank-Sha256} header (if sent).
     * A mismatch removes the download and ends with {@link Exit#INTEGRITY}.
     */
    public Download download(String path, Map<String, String> query, Path target, String expectedSha256) {
        HttpResponse<InputStream> r = send(request(path, query).GET(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() >= 400) {
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            check(r.statusCode(), body, r.headers().firstValue("Retry-After"));
        }
        String header = r.headers().firstValue(SHA_HEADER).orElse(null);
        Path dir = target.toAbsolutePath().getParent();
        Path tmp;
        MessageDigest sha = sha256();
        long bytes;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
        } catch (IOException e) {
            drain(r.body());
            throw new CliException(Exit.API_ERROR, "cannot write into " + dir + ": " + e.getMessage());
        }
        try (InputStream in = r.body(); OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), sha)) {
            bytes = in.transferTo(out);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new CliException(Exit.CONNECTION, "the download from " + endpoint + " broke off: " + e.getMessage(), null, e);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        for (String expected : new String[]{header, expectedSha256}) {
            if (expected != null && !expected.equalsIgnoreCase(actual)) {
                deleteQuietly(tmp);
                throw new CliException(Exit.INTEGRITY, "sha256 mismatch for " + target + ": got " + actual + ", the API reported "
                        + expected + " (download removed)");
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new CliException(Exit.API_ERROR, "cannot write " + target + ": " + e.getMessage());
        }
        return new Download(target, bytes, actual, header != null ? header : expectedSha256);
    }

    /** Opens {@code text/event-stream}; the caller reads and closes the body. Errors are thrown before. */
    public InputStream openEvents(String path, String lastEventId) {
        HttpRequest.Builder b = request(path, Map.of()).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = send(b, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            check(r.statusCode(), body, r.headers().firstValue("Retry-After"));
            throw new CliException(Exit.API_ERROR, "the event stream answered HTTP " + r.statusCode());
        }
        return r.body();
    }

    // ---- plumbing

    private HttpRequest.Builder request(String path, Map<String, String> query) {
        String q = query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path + q)).header("User-Agent", USER_AGENT);
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    private Json json(HttpRequest.Builder b) {
        HttpResponse<String> r = send(b.header("Accept", "application/json"),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        check(r.statusCode(), r.body(), r.headers().firstValue("Retry-After"));
        try {
            return new Json(r.body(), JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new CliException(Exit.API_ERROR, "the API at " + endpoint + " answered HTTP " + r.statusCode()
                    + " with a body that is not JSON");
        }
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(b.build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(Exit.CONNECTION, "interrupted while talking to " + endpoint);
        } catch (IOException | UnresolvedAddressException e) {
            throw connectionError(endpoint, e);
        }
    }

    static CliException connectionError(String endpoint, Exception e) {
        String why;
        if (e instanceof HttpConnectTimeoutException) {
            why = "connection timed out";
        } else if (e instanceof HttpTimeoutException) {
            why = "no answer in time";
        } else if (causedBy(e, UnresolvedAddressException.class) || causedBy(e, java.net.UnknownHostException.class)) {
            why = "unknown host";
        } else if (causedBy(e, ConnectException.class)) {
            why = "connection refused";
        } else if (e instanceof NoSuchFileException) {
            return new CliException(Exit.API_ERROR, "no such file: " + e.getMessage());
        } else {
            why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        return new CliException(Exit.CONNECTION, "cannot reach the vbank API at " + endpoint + " (" + why
                + "); check the endpoint (vbank configure --endpoint URL, or VBANK_ENDPOINT)", null, e);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** Maps an HTTP status and error body to the CLI's exit statuses; returns normally for 2xx/3xx. */
    static void check(int status, String body, Optional<String> retryAfter) {
        if (status < 400) {
            return;
        }
        JsonNode tree = null;
        try {
            tree = body == null || body.isBlank() ? null : JSON.readTree(body);
        } catch (IOException e) {
            // not JSON: reported by status only
        }
        JsonNode error = tree == null ? null : tree.path("error");
        String code = error != null && error.hasNonNull("code") ? error.get("code").asText() : null;
        String message = error != null && error.hasNonNull("message") ? error.get("message").asText() : null;
        String param = error != null && error.hasNonNull("param") ? error.get("param").asText() : null;
        StringBuilder m = new StringBuilder();
        m.append("HTTP ").append(status);
        if (code != null) {
            m.append(' ').append(code);
        }
        m.append(": ").append(message != null ? message : body == null || body.isBlank() ? "(no body)"
                : body.length() > 300 ? body.substring(0, 300) + "…" : body.strip());
        if (param != null) {
            m.append(" (param: ").append(param).append(')');
        }
        retryAfter.ifPresent(s -> m.append(" (retry after ").append(s).append(" s)"));
        JsonNode errorBody = tree != null && tree.has("error") ? tree : synthesize(status, code, m.toString());
        if (status == 401 || status == 403) {
            m.append("; check the API key: vbank configure --api-key KEY (or VBANK_API_KEY)");
            throw new CliException(Exit.AUTH, m.toString(), errorBody, null);
        }
        throw new CliException(Exit.API_ERROR, m.toString(), errorBody, null);
    }

    private static JsonNode synthesize(int status, String code, String message) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("code", code != null ? code : "http_" + status);
        e.put("message", message);
        e.putNull("param");
        return root;
    }

    public static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void drain(InputStream in) {
        try (in) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the request fails anyway
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover .part file is harmless
        }
    }
}
