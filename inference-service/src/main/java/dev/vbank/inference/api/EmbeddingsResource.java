package dev.vbank.inference.api;

import dev.vbank.service.error.Invalid;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /internal/tenants/{tenant}/embeddings}: pooled encoder outputs (the base model's pooling), with the adapter
 * applied when one is named, in the shape web clients use for embeddings (the gateway's /v1/embeddings).
 */
@Path("/internal/tenants/{tenant}/embeddings")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class EmbeddingsResource {

    public record Item(String object, int index, float[] embedding) {
    }

    /** OpenAI-style token counts, and how many inputs were truncated to the model's length. */
    public record Usage(long promptTokens, long totalTokens, int inputs, int truncated) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EmbeddingList(String object, List<Item> data, String model, String adapter, Usage usage) {
    }

    private final Serving serving;
    private final InferenceConfig config;

    public EmbeddingsResource(Serving serving, InferenceConfig config) {
        this.serving = serving;
        this.config = config;
    }

    @POST
    public EmbeddingList embed(@PathParam("tenant") String tenant, JsonNode body) {
        Inputs.object(body);
        Inputs.onlyFields(body, Set.of("model", "adapter", "input", "encoding_format"));
        String model = Inputs.optionalText(body, "model");
        String adapter = Inputs.id(Inputs.optionalText(body, "adapter"), "adapter");
        if (model == null && adapter == null) {
            throw Invalid.of("model", "name a base model (model) or an adapter (adapter)");
        }
        String format = Inputs.optionalText(body, "encoding_format");
        if (format != null && !format.equals("float")) {
            throw Invalid.of("encoding_format", "encoding_format must be float");
        }
        var inputs = Inputs.texts(body, "input", false, config.maxInputs(), config.maxInputChars());
        Serving.Embeddings e = serving.embed(tenant, model, adapter, inputs);
        List<Item> items = new ArrayList<>(e.data().size());
        for (int i = 0; i < e.data().size(); i++) {
            items.add(new Item("embedding", i, e.data().get(i)));
        }
        Serving.Usage u = e.usage();
        return new EmbeddingList("list", items, e.model(), e.adapter(),
                new Usage(u.tokens(), u.tokens(), u.inputs(), u.truncated()));
    }
}
