package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.files.ArtifactServiceConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads adapter and file metadata from the artifact-service internal API ({@code GET /internal/tenants/{t}/adapters/{id}},
 * {@code GET .../files/{id}}). Another tenant's object is a 404 there, hence empty here. An unreachable service throws
 * {@link Unavailable}.
 */
@ApplicationScoped
public class ArtifactLookup {

    /** @param config the method's configuration as stored (hyperparameter names), null for head-only */
    public record Adapter(String id, String jobId, String baseModel, String method, String sha256, JsonNode config) {
    }

    public record File(String id, String status, String sha256) {
    }

    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final ArtifactServiceConfig config;
    private final HttpClient client;

    public ArtifactLookup(ArtifactServiceConfig config) {
        this.config = config;
        this.client = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
    }

    public Optional<Adapter> adapter(String tenant, String adapterId) {
        return get(tenant, "adapters", adapterId).map(b -> new Adapter(b.path("id").asText(adapterId),
                b.path("job_id").asText(null), b.path("base_model").asText(null), b.path("method").asText(null),
                b.path("sha256").asText(null), b.hasNonNull("config") ? b.get("config") : null));
    }

    public Optional<File> file(String tenant, String fileId) {
        return get(tenant, "files", fileId).map(b -> new File(fileId, b.path("status").asText(""),
                b.path("sha256").asText(null)));
    }

    private Optional<JsonNode> get(String tenant, String kind, String id) {
        URI uri = URI.create(config.url().replaceAll("/+$", "") + "/internal/tenants/" + encode(tenant) + "/" + kind + "/"
                + encode(id));
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(config.timeout())
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw new Unavailable("artifact-service answered " + response.statusCode() + " for " + uri, null);
            }
            return Optional.of(Json.mapper().readTree(response.body()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted", e);
        } catch (IOException e) {
            throw new Unavailable("artifact-service unreachable: " + e.getMessage(), e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
