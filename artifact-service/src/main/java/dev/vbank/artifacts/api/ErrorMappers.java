package dev.vbank.artifacts.api;

import dev.vbank.artifacts.db.Db;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.common.api.ApiError;
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
        if (e.status() == 500) {
            LOG.errorf("%s: %s", e.code(), e.getMessage());
        }
        return json(e.status(), e.body());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code = switch (status) {
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "too_large";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "invalid_request";
        };
        return json(status, ApiError.of(code, e.getMessage(), null));
    }

    @ServerExceptionMapper
    public Response database(Db.DbException e) {
        LOG.error("database error", e);
        return json(503, ApiError.of("unavailable", "the artifact database is not available; try again", null));
    }

    @ServerExceptionMapper
    public Response storage(ObjectStore.StorageException e) {
        LOG.error("object storage error", e);
        return json(503, ApiError.of("storage_unavailable", "object storage is not available; try again", null));
    }

    @ServerExceptionMapper
    public Response corrupted(ObjectStore.CorruptedObjectException e) {
        LOG.error(e.getMessage());
        return json(500, ApiError.of("corrupted_object",
                "the stored object failed its sha256 check and was not served", null));
    }

    @ServerExceptionMapper
    public Response missing(ObjectStore.MissingObjectException e) {
        LOG.error(e.getMessage());
        return json(500, ApiError.of("object_missing", "the stored object is missing", null));
    }

    /** Anything unforeseen still leaves as JSON, without internals. */
    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected error", e);
        return json(500, ApiError.of("internal_error", "internal error", null));
    }

    static Response json(int status, ApiError body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
