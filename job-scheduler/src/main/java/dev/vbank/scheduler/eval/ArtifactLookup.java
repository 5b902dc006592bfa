package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.json.Json;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.service.error.Unavailable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.faulttolerance.exceptions.FaultToleranceException;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads adapter and file metadata from the artifact-service internal API ({@code GET /internal/tenants/{t}/adapters/{id}},
 * {@code GET .../files/{id}}). Another tenant's object is a 404 there, hence empty here. A service that does not answer
 * (or answers anything else) is {@link Unavailable}.
 */
@ApplicationScoped
public class ArtifactLookup {

    private static final Logger LOG = Logger.getLogger(ArtifactLookup.class);

    /** @param config the method's configuration as stored (hyperparameter names), null for head-only */
    public record Adapter(String id, String jobId, String baseModel, String method, String sha256, JsonNode config,
                          String vectorBank) {
        public Adapter(String id, String jobId, String baseModel, String method, String sha256, JsonNode config) {
            this(id, jobId, baseModel, method, sha256, config, null);
        }
    }

    /** A published vector bank the tenant may use (its own or platform-wide). */
    public record VectorBank(String id, String baseModel, int numVectors, int vectorLength, String sha256) {
    }

    public record File(String id, String status, String sha256) {
    }

    private final ArtifactServiceClient artifacts;

    public ArtifactLookup(@RestClient ArtifactServiceClient artifacts) {
        this.artifacts = artifacts;
    }

    public Optional<Adapter> adapter(String tenant, String adapterId) {
        return get(() -> artifacts.adapter(tenant, adapterId)).map(b -> new Adapter(b.path("id").asText(adapterId),
                b.path("job_id").asText(null), b.path("base_model").asText(null), b.path("method").asText(null),
                b.path("sha256").asText(null), b.hasNonNull("config") ? b.get("config") : null,
                b.path("vector_bank").asText(null)));
    }

    /** {@code GET /internal/tenants/{t}/vector_banks/{id}}: another tenant's private bank is a 404 there. */
    public Optional<VectorBank> vectorBank(String tenant, String bankId) {
        return get(() -> artifacts.vectorBank(tenant, bankId)).map(b -> new VectorBank(b.path("id").asText(bankId),
                b.path("base_model").asText(null), b.path("num_vectors").asInt(), b.path("vector_length").asInt(),
                b.path("sha256").asText(null)));
    }

    public Optional<File> file(String tenant, String fileId) {
        return get(() -> artifacts.file(tenant, fileId)).map(b -> new File(fileId, b.path("status").asText(""),
                b.path("sha256").asText(null)));
    }

    private static Optional<JsonNode> get(Supplier<Response> call) {
        try (Response response = call.get()) {
            if (response.getStatus() == 404) {
                return Optional.empty();
            }
            if (response.getStatus() != 200) {
                throw unavailable("answered " + response.getStatus());
            }
            return Optional.of(Json.mapper().readTree(response.readEntity(String.class)));
        } catch (ProcessingException | FaultToleranceException | IOException e) {
            throw unavailable(e.toString());
        }
    }

    private static Unavailable unavailable(String why) {
        LOG.warn("artifact-service unavailable: " + why);
        return new Unavailable("unavailable", "the artifact-service is not available; try again", null);
    }
}
