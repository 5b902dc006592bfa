package dev.vbank.scheduler.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.json.Json;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.faulttolerance.exceptions.FaultToleranceException;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import java.io.IOException;

/**
 * {@code GET {artifact-service}/internal/tenants/{tenant}/files/{id}}: 200 with {@code status == "processed"} is ready,
 * 404 is a missing file, {@code error}/{@code failed}/{@code deleted} are unusable, any other status is still pending.
 */
@ApplicationScoped
public class HttpFileChecker implements FileChecker {

    private final ArtifactServiceClient artifacts;

    public HttpFileChecker(@RestClient ArtifactServiceClient artifacts) {
        this.artifacts = artifacts;
    }

    @Override
    public Result check(String tenant, String fileId) throws IOException {
        JsonNode body;
        try (Response response = artifacts.file(tenant, fileId)) {
            if (response.getStatus() == 404) {
                return Result.invalid("file " + fileId + " does not exist");
            }
            if (response.getStatus() != 200) {
                throw new IOException("artifact-service answered " + response.getStatus() + " for file " + fileId);
            }
            body = Json.mapper().readTree(response.readEntity(String.class));
        } catch (ProcessingException | FaultToleranceException e) {
            throw new IOException("artifact-service unreachable: " + e.getMessage(), e);
        }
        String status = body.path("status").asText("");
        return switch (status) {
            case "processed" -> Result.ready();
            case "error", "failed", "deleted" -> Result.invalid("file " + fileId + " is " + status
                    + (body.hasNonNull("status_details") ? ": " + body.get("status_details").asText() : ""));
            default -> Result.pending("file " + fileId + " is " + (status.isEmpty() ? "not processed" : status));
        };
    }
}
