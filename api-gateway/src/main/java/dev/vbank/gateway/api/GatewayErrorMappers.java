package dev.vbank.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.service.rest.ErrorMappers;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The gateway's own answers: downstream answers relayed as they came, unreadable JSON bodies; the rest maps in service-support. */
public class GatewayErrorMappers {

    @ServerExceptionMapper
    public Response passthrough(Downstream.Passthrough e) {
        return e.response();
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return ErrorMappers.answer(Bodies.fromJackson(e));
    }
}
