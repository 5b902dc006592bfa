package dev.vbank.gateway.downstream;

import dev.vbank.gateway.GatewayConfig;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.rest.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.jboss.logging.Logger;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Byte streams to and from the artifact-service (uploads, file and adapter content), never held in memory whole. The JDK
 * client streams both ways; the REST client buffers whole entities, fine for JSON but not for model weights.
 */
@ApplicationScoped
public class ArtifactStreams {

    private static final Logger LOG = Logger.getLogger(ArtifactStreams.class);
    private static final String SERVICE = "artifact-service";

    /** An upload that went past the cap while streaming. */
    public static final class TooLarge extends IOException {
        TooLarge() {
            super("upload over the size cap");
        }
    }

    private final GatewayConfig config;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ArtifactStreams(GatewayConfig config) {
        this.config = config;
    }

    public Response upload(String tenant, String filename, String purpose, InputStream body, long maxBytes) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("filename", filename);
        query.put("purpose", purpose);
        return post(uri("/internal/tenants/" + enc(tenant) + "/files", query), body, maxBytes);
    }

    /** Streams a zip of a PEFT adapter directory to the artifact-service's import; {@code model} may be null. */
    public Response importAdapter(String tenant, String model, InputStream body, long maxBytes) {
        Map<String, String> query = new LinkedHashMap<>();
        if (model != null) {
            query.put("model", model);
        }
        return post(uri("/internal/tenants/" + enc(tenant) + "/adapters/import", query), body, maxBytes);
    }

    private Response post(URI target, InputStream body, long maxBytes) {
        CappedStream capped = new CappedStream(body, maxBytes);
        HttpRequest request = HttpRequest.newBuilder(target)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> capped)).build();
        try {
            HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (capped.over) {
                throw tooLarge(maxBytes);
            }
            Response.ResponseBuilder b = Response.status(r.statusCode()).entity(r.body());
            r.headers().firstValue("Content-Type").ifPresent(b::type);
            return b.build();
        } catch (IOException e) {
            if (capped.over) {
                throw tooLarge(maxBytes);
            }
            if (capped.readFailed) {
                throw Invalid.of("file", "the upload was interrupted: " + e.getMessage());
            }
            LOG.warnf("artifact-service upload failed: %s", e.toString());
            throw Downstream.unavailable(SERVICE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Downstream.unavailable(SERVICE);
        }
    }

    /** Streams {@code GET path} through; a non-200 answer is relayed whole. */
    public Response download(String path, Map<String, String> query) {
        HttpRequest request = HttpRequest.newBuilder(uri(path, query)).GET().build();
        HttpResponse<InputStream> r;
        try {
            r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            LOG.warnf("artifact-service download failed: %s", e.toString());
            throw Downstream.unavailable(SERVICE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Downstream.unavailable(SERVICE);
        }
        Response.ResponseBuilder b = Response.status(r.statusCode());
        r.headers().firstValue("Content-Type").ifPresent(b::type);
        for (String h : Downstream.PASSED_HEADERS) {
            r.headers().firstValue(h).ifPresent(v -> b.header(h, v));
        }
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                return b.entity(in.readAllBytes()).build();
            } catch (IOException e) {
                throw Downstream.unavailable(SERVICE);
            }
        }
        r.headers().firstValue("Content-Length").ifPresent(v -> b.header("Content-Length", v));
        StreamingOutput out = os -> {
            try (InputStream in = r.body()) {
                in.transferTo(os);
            }
        };
        return b.entity(out).build();
    }

    private URI uri(String path, Map<String, String> query) {
        String q = query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
        return URI.create(config.artifacts().url().replaceAll("/+$", "") + path + q);
    }

    public static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static ApiException tooLarge(long maxBytes) {
        return new ApiException(413, "file_too_large", "files may be at most " + maxBytes + " bytes", "file");
    }

    private static final class CappedStream extends FilterInputStream {
        private final long max;
        private long count;
        volatile boolean over;
        volatile boolean readFailed;

        CappedStream(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                readFailed = true;
                throw e;
            }
            if (n > 0) {
                count += n;
                if (count > max) {
                    over = true;
                    throw new TooLarge();
                }
            }
            return n;
        }
    }
}
