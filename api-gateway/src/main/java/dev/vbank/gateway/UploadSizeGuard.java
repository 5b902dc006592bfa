package dev.vbank.gateway;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/** Refuses uploads whose Content-Length is over the cap before their body is read, with an ApiError body. */
@Singleton
public class UploadSizeGuard {

    void install(@Observes Router router, GatewayConfig config) {
        long max = config.files().maxBytes();
        router.route(HttpMethod.POST, "/v1/files").order(-1000).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            long n;
            try {
                n = length == null ? -1 : Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n > max + 64 * 1024) {
                ctx.response().setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection",
                        "close").end("{\"error\":{\"code\":\"file_too_large\",\"message\":\"files may be at most " + max
                        + " bytes\",\"param\":\"file\"}}");
            } else {
                ctx.next();
            }
        });
    }
}
