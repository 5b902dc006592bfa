package dev.vbank.service.rest;

import dev.vbank.common.api.ApiError;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Broken;
import dev.vbank.service.error.Conflict;
import dev.vbank.service.error.DomainException;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.error.TooLarge;
import dev.vbank.service.error.Unavailable;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.sql.SQLException;

/** The one place where exceptions become HTTP answers: every error leaves as an {@link ApiError} body. */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    private final ErrorsConfig config;

    public ErrorMappers(ErrorsConfig config) {
        this.config = config;
    }

    public static int status(DomainException e) {
        if (e instanceof Invalid) {
            return 400;
        } else if (e instanceof NotFound) {
            return 404;
        } else if (e instanceof Conflict) {
            return 409;
        } else if (e instanceof TooLarge) {
            return 413;
        } else if (e instanceof Unavailable) {
            return 503;
        } else if (e instanceof Broken) {
            return 500;
        }
        throw new IllegalArgumentException("no HTTP status for " + e.getClass().getName());
    }

    @ServerExceptionMapper
    public Response domain(DomainException e) {
        return answer(e);
    }

    public static Response answer(DomainException e) {
        int status = status(e);
        if (status >= 500) {
            LOG.errorf("%s: %s", e.code(), e.getMessage());
        }
        return json(status, ApiError.of(e.code(), e.getMessage(), e.param()));
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        if (e.status() >= 500) {
            LOG.errorf("%s: %s", e.code(), e.getMessage());
        }
        Response.ResponseBuilder r = Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(e.body());
        if (e.retryAfterSeconds() != null) {
            r.header("Retry-After", e.retryAfterSeconds());
        }
        if (e.status() == 401) {
            r.header("WWW-Authenticate", "Bearer realm=\"vbank\"");
        }
        return r.build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code = switch (status) {
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> config.tooLargeCode();
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "invalid_request";
        };
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        return json(status, ApiError.of(code, e.getMessage(), null));
    }

    /** Anything unforeseen still leaves as JSON, without internals; a database that is down is a 503. */
    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        if (e instanceof Db.DbException || e.getCause() instanceof SQLException) {
            LOG.error("database error", e);
            return json(503, ApiError.of(config.unavailableCode(), config.database() + " is not available; try again",
                    null));
        }
        LOG.error("unexpected error", e);
        return json(500, ApiError.of("internal_error", "internal error", null));
    }

    public static Response json(int status, ApiError body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
