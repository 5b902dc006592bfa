package dev.vbank.inference.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.inference.InferenceConfig;
import dev.vbank.inference.Serving;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code POST /internal/tenants/{tenant}/predictions}: the adapter's head on each input (the gateway's /v1/predictions). */
@Path("/internal/tenants/{tenant}/predictions")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class PredictionsResource {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Item(int index, String label, Map<String, Double> probabilities, Double value) {
    }

    public record PredictionList(String object, String adapter, String model, List<Item> data, Serving.Usage usage) {
    }

    private final Serving serving;
    private final InferenceConfig config;

    public PredictionsResource(Serving serving, InferenceConfig config) {
        this.serving = serving;
        this.config = config;
    }

    @POST
    public PredictionList predict(@PathParam("tenant") String tenant, JsonNode body) {
        Inputs.object(body);
        Inputs.onlyFields(body, Set.of("adapter", "inputs"));
        String adapter = Inputs.id(Inputs.requiredText(body, "adapter"), "adapter");
        var inputs = Inputs.texts(body, "inputs", true, config.maxInputs(), config.maxInputChars());
        Serving.Predictions p = serving.predict(tenant, adapter, inputs);
        return new PredictionList("list", p.adapter(), p.model(), p.data().stream()
                .map(d -> new Item(d.index(), d.label(), d.probabilities(), d.value())).toList(), p.usage());
    }
}
