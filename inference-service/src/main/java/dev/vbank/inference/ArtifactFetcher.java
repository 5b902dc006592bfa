package dev.vbank.inference;

import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.error.Unavailable;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Compact adapter bytes from the artifact-service's internal API, verified against the {@code X-Vbank-Sha256} header
 * before anything is composed. Another tenant's (or no) adapter is a 404 there and here; an artifact-service that
 * cannot be reached is a 503.
 */
@ApplicationScoped
public class ArtifactFetcher {

    private static final Logger LOG = Logger.getLogger(ArtifactFetcher.class);
    static final String SHA_HEADER = "X-Vbank-Sha256";

    /** Verified bytes of one adapter. */
    public record Fetched(byte[] bytes, String sha256) {
    }

    private final InferenceConfig.ArtifactService config;
    private final HttpClient client;

    public ArtifactFetcher(InferenceConfig config) {
        this.config = config.artifactService();
        this.client = HttpClient.newBuilder().connectTimeout(this.config.connectTimeout()).build();
    }

    public Fetched adapter(String tenant, String adapterId) {
        return fetch(tenant, adapterId, "/adapters/" + enc(adapterId) + "/content?format=compact");
    }

    /** The file of a published vector bank the tenant may use (a bank-referencing adapter's), verified likewise. */
    public Fetched vectorBank(String tenant, String bankId) {
        return fetch(tenant, bankId, "/vector_banks/" + enc(bankId) + "/content");
    }

    private Fetched fetch(String tenant, String adapterId, String path) {
        URI uri = URI.create(config.url().replaceAll("/+$", "") + "/internal/tenants/" + enc(tenant) + path);
        HttpResponse<InputStream> r;
        try {
            r = client.send(HttpRequest.newBuilder(uri).timeout(config.requestTimeout()).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            LOG.warnf("artifact-service unreachable for adapter %s: %s", adapterId, e.toString());
            throw unavailable(adapterId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(adapterId);
        }
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) {
                throw notFound(adapterId);
            }
            if (r.statusCode() != 200) {
                LOG.warnf("artifact-service answered %d for adapter %s: %s", r.statusCode(), adapterId,
                        new String(in.readNBytes(2048), StandardCharsets.UTF_8));
                throw unavailable(adapterId);
            }
            String expected = r.headers().firstValue(SHA_HEADER).orElse(null);
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxAdapterBytes() + 1));
            if (bytes.length > config.maxAdapterBytes()) {
                throw new Invalid("unsupported_adapter", "adapter " + adapterId + " is larger than the "
                        + config.maxAdapterBytes() + " bytes this service loads", "adapter");
            }
            String actual = sha256(bytes);
            if (expected == null || !expected.equalsIgnoreCase(actual)) {
                LOG.errorf("adapter %s: content sha256 %s, artifact-service announced %s", adapterId, actual, expected);
                throw new Unavailable("bad_gateway", "the artifact-service sent adapter " + adapterId
                        + " with a checksum that does not match its content; try again", null);
            }
            return new Fetched(bytes, actual);
        } catch (IOException e) {
            LOG.warnf("reading adapter %s from the artifact-service failed: %s", adapterId, e.toString());
            throw unavailable(adapterId);
        }
    }

    static NotFound notFound(String adapterId) {
        return new NotFound("not_found", "no adapter " + adapterId, "adapter");
    }

    private static Unavailable unavailable(String adapterId) {
        return new Unavailable("service_unavailable", "the artifact-service is not available and adapter "
                + adapterId + " is not loaded here; try again", null);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
