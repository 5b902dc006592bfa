package dev.vbank.scheduler.api;

import dev.vbank.common.api.ApiError;
import dev.vbank.scheduler.db.Db;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves as an {@link ApiError} body. */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return json(e.status(), e.body());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code = switch (status) {
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "invalid_request";
        };
        return json(status, ApiError.of(code, e.getMessage(), null));
    }

    @ServerExceptionMapper
    public Response database(Db.DbException e) {
        LOG.error("database error", e);
        return json(503, ApiError.of("unavailable", "the job database is not available; try again", null));
    }

    @ServerExceptionMapper
    public Response artifacts(dev.vbank.scheduler.eval.ArtifactLookup.Unavailable e) {
        LOG.warn("artifact-service unavailable: " + e.getMessage());
        return json(503, ApiError.of("unavailable", "the artifact-service is not available; try again", null));
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        LOG.error("unexpected error", e);
        return json(500, ApiError.of("internal_error", "internal error", null));
    }

    private static Response json(int status, ApiError body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
