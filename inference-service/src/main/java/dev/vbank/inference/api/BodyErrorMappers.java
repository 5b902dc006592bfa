package dev.vbank.inference.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vbank.common.api.ApiError;
import dev.vbank.service.rest.ErrorMappers;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** A body that is not JSON is the client's mistake: a 400, not the 500 of an unforeseen exception. */
public class BodyErrorMappers {

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return ErrorMappers.json(400, ApiError.of("invalid_json", "the body is not valid JSON: " + e.getOriginalMessage(),
                null));
    }
}
