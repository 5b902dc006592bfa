package dev.vbank.gateway.downstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.json.Json;
import dev.vbank.service.error.Unavailable;
import dev.vbank.service.rest.ApiException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.faulttolerance.exceptions.FaultToleranceException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/** Calls to internal services: answers pass through unchanged; an unreachable service is a 503. */
public final class Downstream {

    private static final Logger LOG = Logger.getLogger(Downstream.class);
    static final List<String> PASSED_HEADERS = List.of("Idempotent-Replayed", "Retry-After", "X-Vbank-Sha256",
            "Content-Disposition");

    /** A downstream answer to hand to the client as it is. */
    public static final class Passthrough extends RuntimeException {
        private final transient Response response;

        public Passthrough(Response response) {
            super(null, null, false, false);
            this.response = response;
        }

        public Response response() {
            return response;
        }
    }

    private Downstream() {
    }

    public static Unavailable unavailable(String service) {
        return new Unavailable("service_unavailable", "the " + service + " is not available; try again", null);
    }

    /** The downstream answer, buffered, as the gateway's answer. */
    public static Response call(String service, Supplier<Response> call) {
        return relay(fetch(service, call));
    }

    /** The downstream status and body, for the gateway to look into. */
    public static Fetched fetch(String service, Supplier<Response> call) {
        try (Response r = call.get()) {
            byte[] body = r.hasEntity() ? r.readEntity(byte[].class) : new byte[0];
            Response.ResponseBuilder copy = Response.status(r.getStatus());
            if (r.getMediaType() != null) {
                copy.type(r.getMediaType());
            }
            for (String h : PASSED_HEADERS) {
                if (r.getHeaderString(h) != null) {
                    copy.header(h, r.getHeaderString(h));
                }
            }
            return new Fetched(r.getStatus(), body, copy);
        } catch (ProcessingException | FaultToleranceException e) {
            LOG.warnf("%s unreachable: %s", service, e.getMessage());
            throw Downstream.unavailable(service);
        }
    }

    public record Fetched(int status, byte[] body, Response.ResponseBuilder builder) {
        public boolean ok() {
            return status / 100 == 2;
        }

        public JsonNode json(String service) {
            try {
                return Json.mapper().readTree(body);
            } catch (IOException e) {
                LOG.warnf("%s answered %d with a body that is not JSON", service, status);
                throw new ApiException(502, "bad_gateway", "the " + service + " gave an unreadable answer", null);
            }
        }

        /** Throws the answer as is when it is not a success. */
        public Fetched orRelay() {
            if (!ok()) {
                throw new Passthrough(relay(this));
            }
            return this;
        }
    }

    static Response relay(Fetched f) {
        Response.ResponseBuilder b = f.builder();
        if (f.body().length > 0) {
            b.entity(f.body());
            if (f.status() >= 400 && f.body()[0] == '{') {
                b.type(MediaType.APPLICATION_JSON);
            }
        }
        return b.build();
    }
}
