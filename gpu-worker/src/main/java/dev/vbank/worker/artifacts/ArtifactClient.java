package dev.vbank.worker.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.json.Json;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.worker.JobFailure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.Response;
import io.smallrye.faulttolerance.api.ExponentialBackoff;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.exceptions.FaultToleranceException;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The artifact-service endpoints a worker uses (see "artifact-service internal contract" in docs/ARCHITECTURE.md):
 * file metadata (through service-support's {@link ArtifactServiceClient}) and content, checkpoint upload and download,
 * adapter upload. Downloads are hashed while they stream to
 * disk and must match the {@code X-Vbank-Sha256} header. Each call makes one request; an I/O error or a 5xx answer
 * ({@link Transient}) is tried again by SmallRye Fault Tolerance (three attempts in all, about 200 ms apart). Bodies stream
 * over the JDK client both ways (the REST client would buffer them whole).
 */
@ApplicationScoped
@Retry(maxRetries = 2, delay = 200, jitter = 100, retryOn = ArtifactClient.Transient.class)
public class ArtifactClient {

    private static final Logger LOG = Logger.getLogger(ArtifactClient.class);
    public static final String SHA_HEADER = "X-Vbank-Sha256";

    public record FileInfo(String id, String filename, String sha256, long bytes, String status, String statusDetails) {
    }

    public record StoredCheckpoint(long step, String objectKey, long bytes, String sha256) {
    }

    public record StoredAdapter(String id, boolean created) {
    }

    /** A download: where it lies and the sha256 computed over its bytes. */
    public record Download(Path file, String sha256, long bytes) {
    }

    private final ArtifactServiceConfig config;
    private final ArtifactServiceClient metadata;
    private final HttpClient client;

    public ArtifactClient(ArtifactServiceConfig config, @RestClient ArtifactServiceClient metadata) {
        this.config = config;
        this.metadata = metadata;
        this.client = HttpClient.newBuilder().connectTimeout(config.connectTimeout()).build();
    }

    public FileInfo file(String tenant, String fileId) {
        int status;
        String body;
        try (Response r = metadata.file(tenant, fileId)) {
            status = r.getStatus();
            body = r.readEntity(String.class);
        } catch (ProcessingException | FaultToleranceException e) {
            throw new ArtifactException("the artifact-service did not answer for file " + fileId + ": " + e, e);
        }
        if (status == 404) {
            throw new JobFailure("invalid_file", "file " + fileId + " does not exist", null);
        }
        if (status >= 500) {
            throw new Transient("file " + fileId + " answered " + status + ": " + errorMessage(body), null);
        }
        if (status != 200) {
            throw new ArtifactException("artifact-service answered " + status + " for file " + fileId + ": "
                    + errorMessage(body));
        }
        JsonNode n;
        try {
            n = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new ArtifactException("artifact-service answered no JSON for file " + fileId + ": " + body, e);
        }
        return new FileInfo(n.path("id").asText(fileId), n.path("filename").asText(""), n.path("sha256").asText(""),
                n.path("bytes").asLong(-1), n.path("status").asText(""),
                n.hasNonNull("status_details") ? n.get("status_details").asText() : null);
    }

    /** Streams a file's content into {@code target} (via a temporary sibling), verifying the sha256 header. */
    public Download fileContent(String tenant, String fileId, Path target, long maxBytes) {
        return download(tenantPath(tenant) + "/files/" + enc(fileId) + "/content", target, maxBytes);
    }

    public Download checkpointContent(String tenant, String jobId, long step, Path target, long maxBytes) {
        return download(tenantPath(tenant) + "/checkpoints/" + enc(jobId) + "/" + step + "/content", target, maxBytes);
    }

    /** A stored adapter's compact bytes (the file as uploaded), verified against the sha256 header. */
    public Download adapterContent(String tenant, String adapterId, Path target, long maxBytes) {
        return download(tenantPath(tenant) + "/adapters/" + enc(adapterId) + "/content?format=compact", target,
                maxBytes);
    }

    /** A published vector bank's file (own or platform-wide), verified against the sha256 header. */
    public Download vectorBankContent(String tenant, String bankId, Path target, long maxBytes) {
        return download(tenantPath(tenant) + "/vector_banks/" + enc(bankId) + "/content", target, maxBytes);
    }

    public StoredCheckpoint putCheckpoint(String tenant, String jobId, long step, Path archive) {
        HttpResponse<String> r = send("PUT", tenantPath(tenant) + "/checkpoints/" + enc(jobId) + "/" + step,
                archive, HttpResponse.BodyHandlers.ofString());
        JsonNode n = json(expect(r, 201, 200), r.uri());
        return new StoredCheckpoint(n.path("step").asLong(step), n.path("object_key").asText(),
                n.path("bytes").asLong(), n.path("sha256").asText());
    }

    /**
     * Idempotent per job: a second upload for the same job answers the adapter stored first. Three attempts, as every
     * call here; {@link #postAdapterPatiently} is the same upload tried for longer.
     */
    public StoredAdapter postAdapter(String tenant, String jobId, String baseModel, String trainingFile, String method,
                                     Path adapter) {
        return uploadAdapter(tenant, jobId, baseModel, trainingFile, method, adapter);
    }

    /**
     * A finished adapter is worth waiting for: while the artifact-service or its object store is down the upload is tried
     * again for up to 5 minutes (backoff from 0.5 s to 10 s; heartbeats keep the job's lease meanwhile). Callers try
     * {@link #postAdapter} first, so they can tell the job's owner that the upload is being retried.
     */
    @Retry(maxRetries = -1, maxDuration = 5, durationUnit = ChronoUnit.MINUTES, delay = 500, jitter = 100,
            retryOn = ArtifactClient.Transient.class)
    @ExponentialBackoff(maxDelay = 10, maxDelayUnit = ChronoUnit.SECONDS)
    public StoredAdapter postAdapterPatiently(String tenant, String jobId, String baseModel, String trainingFile,
                                              String method, Path adapter) {
        return uploadAdapter(tenant, jobId, baseModel, trainingFile, method, adapter);
    }

    private StoredAdapter uploadAdapter(String tenant, String jobId, String baseModel, String trainingFile,
                                        String method, Path adapter) {
        String query = "?job_id=" + enc(jobId) + "&base_model=" + enc(baseModel) + "&training_file="
                + enc(trainingFile) + "&method=" + enc(method);
        HttpResponse<String> r = send("POST", tenantPath(tenant) + "/adapters" + query, adapter,
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 400) {
            throw new JobFailure("adapter_rejected", "the artifact-service rejected the trained adapter: "
                    + errorMessage(r.body()), null);
        }
        JsonNode n = json(expect(r, 201, 200), r.uri());
        String id = n.path("id").asText("");
        if (id.isEmpty()) {
            throw new ArtifactException("adapter upload answered no id: " + r.body());
        }
        return new StoredAdapter(id, r.statusCode() == 201);
    }

    private Download download(String path, Path target, long maxBytes) {
        Path tmp = null;
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            tmp = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName().toString(), ".part");
            HttpResponse<InputStream> r = client.send(request(path).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() == 404) {
                    throw new JobFailure("not_found", "the artifact-service has no " + path, null);
                }
                if (r.statusCode() >= 500) {
                    String error = errorMessage(new String(in.readNBytes(4096), StandardCharsets.UTF_8));
                    if (error.startsWith("corrupted_object")) {
                        // the service verified the stored object and refused it: retrying cannot help
                        throw new JobFailure("file_corrupted", "the artifact-service reports " + path
                                + " as corrupted: " + error, null);
                    }
                    throw new Transient("artifact-service answered " + r.statusCode() + " for " + path + ": " + error,
                            null);
                }
                if (r.statusCode() != 200) {
                    throw new ArtifactException("artifact-service answered " + r.statusCode() + " for " + path
                            + ": " + errorMessage(new String(in.readNBytes(4096), StandardCharsets.UTF_8)));
                }
                String expected = r.headers().firstValue(SHA_HEADER).orElseThrow(() ->
                        new ArtifactException(path + " came without the " + SHA_HEADER + " header"));
                MessageDigest sha = sha256();
                long n;
                try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), sha)) {
                    n = copy(in, out, maxBytes, path);
                }
                String actual = HexFormat.of().formatHex(sha.digest());
                if (!actual.equalsIgnoreCase(expected)) {
                    throw new JobFailure("file_corrupted", "the content of " + path + " has sha256 " + actual
                            + " but the artifact-service announced " + expected, null);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return new Download(target, actual, n);
            }
        } catch (IOException e) {
            LOG.warnf("download of %s failed: %s", path, e);
            throw new Transient("cannot download " + path + " from the artifact-service: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArtifactException("interrupted while downloading " + path, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static long copy(InputStream in, OutputStream out, long maxBytes, String path) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int r; (r = in.read(buf)) >= 0; ) {
            total += r;
            if (total > maxBytes) {
                throw new JobFailure("invalid_file", path + " is larger than the worker's limit of " + maxBytes
                        + " bytes", null);
            }
            out.write(buf, 0, r);
        }
        return total;
    }

    private <T> HttpResponse<T> send(String method, String path, Path body, HttpResponse.BodyHandler<T> handler) {
        try {
            HttpRequest.Builder b = request(path);
            if (body != null) {
                b.header("Content-Type", "application/octet-stream")
                        .method(method, HttpRequest.BodyPublishers.ofFile(body));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<T> r = client.send(b.build(), handler);
            if (r.statusCode() >= 500) {
                throw new Transient(method + " " + path + " answered " + r.statusCode() + ": " + r.body(), null);
            }
            return r;
        } catch (IOException e) {
            LOG.warnf("%s %s failed: %s", method, path, e);
            throw new Transient(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArtifactException("interrupted during " + method + " " + path, e);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(config.url().replaceAll("/+$", "") + path))
                .timeout(config.requestTimeout())
                .header("Accept", "application/json, application/octet-stream");
    }

    private static <T> HttpResponse<T> expect(HttpResponse<T> r, int... statuses) {
        for (int s : statuses) {
            if (r.statusCode() == s) {
                return r;
            }
        }
        throw new ArtifactException("artifact-service answered " + r.statusCode() + " for " + r.request().method()
                + " " + r.uri().getPath() + ": " + errorMessage(String.valueOf(r.body())));
    }

    private static JsonNode json(HttpResponse<String> r, URI uri) {
        try {
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new ArtifactException("artifact-service answered no JSON for " + uri.getPath() + ": " + r.body(), e);
        }
    }

    /** The message of an ApiError body, or the body itself. */
    static String errorMessage(String body) {
        try {
            JsonNode n = Json.mapper().readTree(body);
            if (n != null && n.path("error").hasNonNull("message")) {
                return n.path("error").path("code").asText("") + ": " + n.path("error").path("message").asText();
            }
        } catch (IOException ignored) {
            // not JSON: the raw body says more than nothing
        }
        return body.length() > 500 ? body.substring(0, 500) + "…" : body;
    }

    private static String tenantPath(String tenant) {
        return "/internal/tenants/" + enc(tenant);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, r);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a stray .part file in the cache directory is harmless
            }
        }
    }

    /** The artifact-service could not be reached or answered something the contract does not allow. */
    public static class ArtifactException extends RuntimeException {
        public ArtifactException(String message) {
            super(message);
        }

        public ArtifactException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** No answer, or a 5xx one: the same call may work a moment later. */
    public static class Transient extends ArtifactException {
        public Transient(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
