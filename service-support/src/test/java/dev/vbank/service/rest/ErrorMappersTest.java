package dev.vbank.service.rest;

import dev.vbank.common.api.ApiError;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Broken;
import dev.vbank.service.error.Conflict;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.error.TooLarge;
import dev.vbank.service.error.Unavailable;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorMappersTest {

    static final ErrorsConfig GATEWAY = new ErrorsConfig() {
        @Override
        public String database() {
            return "the gateway database";
        }

        @Override
        public String unavailableCode() {
            return "service_unavailable";
        }

        @Override
        public String tooLargeCode() {
            return "request_too_large";
        }
    };

    static ApiError.Detail body(Response r) {
        return ((ApiError) r.getEntity()).error();
    }

    @Test
    void eachDomainExceptionHasItsStatusAndKeepsCodeMessageAndParam() {
        assertThat(ErrorMappers.answer(Invalid.of("method.topk", "topk must be ≥ 1")).getStatus()).isEqualTo(400);
        assertThat(ErrorMappers.answer(NotFound.of("file", "f-1")).getStatus()).isEqualTo(404);
        assertThat(ErrorMappers.answer(new Conflict("job_not_cancellable", "done", null)).getStatus()).isEqualTo(409);
        assertThat(ErrorMappers.answer(TooLarge.of("body", 10)).getStatus()).isEqualTo(413);
        assertThat(ErrorMappers.answer(new Unavailable("base_model_not_ready", "later", "id")).getStatus()).isEqualTo(503);
        assertThat(ErrorMappers.answer(new Broken("corrupted_object", "bad sha")).getStatus()).isEqualTo(500);

        ApiError.Detail invalid = body(ErrorMappers.answer(Invalid.of("method.topk", "topk must be ≥ 1")));
        assertThat(invalid).isEqualTo(new ApiError.Detail("invalid_request", "topk must be ≥ 1", "method.topk"));
        assertThat(body(ErrorMappers.answer(NotFound.of("fine_tuning_job", "j-1"))))
                .isEqualTo(new ApiError.Detail("fine_tuning_job_not_found", "no fine tuning job j-1", "id"));
    }

    @Test
    void httpLayerAnswersUseTheServiceWording() {
        ErrorMappers mappers = new ErrorMappers(GATEWAY);
        Response tooLarge = mappers.web(new WebApplicationException(413));
        assertThat(tooLarge.getStatus()).isEqualTo(413);
        assertThat(body(tooLarge).code()).isEqualTo("request_too_large");
        assertThat(body(mappers.web(new WebApplicationException(404))).code()).isEqualTo("not_found");

        Response db = mappers.unexpected(new Db.DbException(new SQLException("connection refused")));
        assertThat(db.getStatus()).isEqualTo(503);
        assertThat(body(db)).isEqualTo(new ApiError.Detail("service_unavailable",
                "the gateway database is not available; try again", null));
        Response wrapped = mappers.unexpected(new RuntimeException(new SQLException("gone")));
        assertThat(wrapped.getStatus()).isEqualTo(503);

        Response other = mappers.unexpected(new IllegalStateException("secret internals"));
        assertThat(other.getStatus()).isEqualTo(500);
        assertThat(body(other)).isEqualTo(new ApiError.Detail("internal_error", "internal error", null));
    }

    @Test
    void apiExceptionsCarryRetryAfterAndTheBearerChallenge() {
        ErrorMappers mappers = new ErrorMappers(GATEWAY);
        Response limited = mappers.api(new ApiException(429, "rate_limit_exceeded", "slow down", null, 3L));
        assertThat(limited.getStatus()).isEqualTo(429);
        assertThat(limited.getHeaderString("Retry-After")).isEqualTo("3");
        Response unauthorized = mappers.api(new ApiException(401, "unauthorized", "no key", "Authorization"));
        assertThat(unauthorized.getHeaderString("WWW-Authenticate")).isEqualTo("Bearer realm=\"vbank\"");
        assertThat(body(unauthorized).param()).isEqualTo("Authorization");
    }
}
