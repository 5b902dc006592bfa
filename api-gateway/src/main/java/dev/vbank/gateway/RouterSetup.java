package dev.vbank.gateway;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/** Routes before and after the REST layer: the dashboard's headers. Refuses uploads whose Content-Length is over the cap before their body is read, with an ApiError body. */
@Singleton
public class RouterSetup {

    void install(@Observes Router router, GatewayConfig config) {
        long max = config.files().maxBytes();
        // JAX-RS would drop ";x" from a path segment as a matrix parameter: the API has none, so such paths are refused
        router.routeWithRegex("/(v1|admin)(/.*)?").order(-1001).handler(ctx -> {
            if (ctx.request().path().indexOf(';') >= 0) {
                ctx.response().setStatusCode(400).putHeader("Content-Type", "application/json").end("{\"error\":{\"code\":"
                        + "\"invalid_request\",\"message\":\"path segments may not carry ';' parameters\",\"param\":\"path\"}}");
            } else {
                ctx.next();
            }
        });
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
        // the dashboard's pages load relative assets, so its URL ends with a slash; its assets may come only from here
        router.routeWithRegex("/dashboard").order(-1000).handler(ctx -> ctx.response().setStatusCode(301)
                .putHeader("Location", "/dashboard/").end());
        router.route("/dashboard/*").order(-1000).handler(ctx -> {
            ctx.response().putHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                    + "object-src 'none'; frame-ancestors 'none'; base-uri 'none'").putHeader("X-Content-Type-Options",
                    "nosniff").putHeader("Cache-Control", "no-cache");
            ctx.next();
        });
        // unknown paths of the API answer an ApiError too (Quarkus REST hands unmatched requests on to Vert.x)
        router.routeWithRegex("/(v1|admin)(/.*)?").last().handler(ctx -> ctx.response().setStatusCode(404)
                .putHeader("Content-Type", "application/json")
                .end("{\"error\":{\"code\":\"not_found\",\"message\":\"no such endpoint\",\"param\":null}}"));
    }
}
