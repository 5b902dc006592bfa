package dev.vbank.scheduler.jobs;

import dev.vbank.service.error.Unavailable;
import dev.vbank.service.error.Invalid;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.eval.ArtifactLookup;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code method.hyperparameters.init_adapter}: a job continues training a stored (trained or imported) adapter. Checked
 * at create, before the hyperparameters are resolved: the adapter exists for the tenant, has the job's method and base
 * model, keeps what training needs (VB-LoRA: its logits), and has the shapes the job asks for; the shape
 * hyperparameters the job leaves unset are taken from it (not from the defaults), so the worker builds the same layers.
 */
@ApplicationScoped
public class InitAdapters {
    static final String PARAM = "method.hyperparameters.init_adapter";
    static final Map<String, List<String>> SHAPE = Map.of(
            "vblora", List.of("num_vectors", "vector_length", "r", "topk", "target_modules", "layers_to_transform"),
            "lora", List.of("r", "target_modules", "layers_to_transform"),
            "head_only", List.of());

    private final ArtifactLookup artifacts;

    public InitAdapters(ArtifactLookup artifacts) {
        this.artifacts = artifacts;
    }

    /**
     * The create-job body with the adapter's shapes filled in, or a 400 naming the mismatch. A body without a well-formed
     * {@code init_adapter} comes back as it was: the request parser reports what is wrong with it.
     */
    public String resolve(String tenant, String body) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(body == null ? "" : body);
        } catch (IOException e) {
            return body;
        }
        JsonNode method = root == null ? null : root.path("method");
        JsonNode id = method == null ? null : method.path("hyperparameters").path("init_adapter");
        String type = method == null ? "" : method.path("type").asText("");
        if (id == null || !id.isTextual() || !id.asText().startsWith("adapter-") || !SHAPE.containsKey(type)
                || !method.get("hyperparameters").isObject()) {
            return body;
        }
        ObjectNode hp = (ObjectNode) method.get("hyperparameters");
        ArtifactLookup.Adapter a;
        try {
            a = artifacts.adapter(tenant, id.asText()).orElseThrow(() -> Invalid.of(PARAM,
                    "no adapter " + id.asText() + " for this tenant"));
        } catch (Unavailable e) {
            throw new Unavailable("service_unavailable", "cannot check init_adapter: " + e.getMessage(), PARAM);
        }
        String name = id.asText();
        if (!type.equals(a.method())) {
            throw Invalid.of(PARAM, "adapter " + name + " is a " + a.method() + " adapter; this job trains "
                    + type);
        }
        if (!root.path("model").asText("").equals(a.baseModel())) {
            throw Invalid.of(PARAM, "adapter " + name + " was made for " + a.baseModel() + ", not "
                    + root.path("model").asText(""));
        }
        if (a.vectorBank() != null) {
            throw Invalid.of(PARAM, "adapter " + name + " was trained against vector bank " + a.vectorBank()
                    + " and stores top-k indices and weights only, so it has no logits to train further");
        }
        if (hp.hasNonNull("vector_bank")) {
            throw Invalid.of(PARAM, "init_adapter and vector_bank cannot be combined: a job trains against a "
                    + "published bank from fresh logits");
        }
        JsonNode cfg = a.config();
        if (type.equals("vblora") && cfg != null && cfg.path("save_only_topk_weights").asBoolean(false)) {
            throw Invalid.of(PARAM, "adapter " + name + " was stored with save_only_topk_weights (top-k "
                    + "indices and weights only), so it has no logits to train further");
        }
        for (String field : SHAPE.get(type)) {
            JsonNode stored = cfg == null ? null : cfg.get(field);
            if (stored == null || stored.isNull()) {
                continue;
            }
            JsonNode asked = hp.get(field);
            if (asked == null || asked.isNull()) {
                hp.set(field, stored);
            } else if (!asked.equals(stored) && !(asked.isNumber() && stored.isNumber() && asked.asDouble() == stored.asDouble())) {
                throw Invalid.of("method.hyperparameters." + field, field + " is " + asked + " but adapter "
                        + name + " has " + stored + "; leave it unset to continue with the adapter's");
            }
        }
        return root.toString();
    }
}
