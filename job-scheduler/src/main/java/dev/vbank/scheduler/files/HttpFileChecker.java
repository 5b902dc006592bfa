package dev.vbank.scheduler.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.json.Json;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET {artifact-service}/internal/tenants/{tenant}/files/{id}}: 200 with {@code status == "processed"} is ready,
 * 404 is a missing file, {@code error}/{@code failed}/{@code deleted} are unusable, any other status is still pending.
 */
@ApplicationScoped
public class HttpFileChecker implements FileChecker {

    private final ArtifactServiceConfig config;
    private final HttpClient client;

    public HttpFileChecker(ArtifactServiceConfig config) {
        this.config = config;
        this.client = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
    }

    @Override
    public Result check(String tenant, String fileId) throws IOException {
        URI uri = URI.create(config.url().replaceAll("/+$", "") + "/internal/tenants/" + encode(tenant) + "/files/"
                + encode(fileId));
        HttpResponse<String> response;
        try {
            response = client.send(HttpRequest.newBuilder(uri).timeout(config.timeout())
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (response.statusCode() == 404) {
            return Result.invalid("file " + fileId + " does not exist");
        }
        if (response.statusCode() != 200) {
            throw new IOException("artifact-service answered " + response.statusCode() + " for " + uri);
        }
        JsonNode body = Json.mapper().readTree(response.body());
        String status = body.path("status").asText("");
        return switch (status) {
            case "processed" -> Result.ready();
            case "error", "failed", "deleted" -> Result.invalid("file " + fileId + " is " + status
                    + (body.hasNonNull("status_details") ? ": " + body.get("status_details").asText() : ""));
            default -> Result.pending("file " + fileId + " is " + (status.isEmpty() ? "not processed" : status));
        };
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
