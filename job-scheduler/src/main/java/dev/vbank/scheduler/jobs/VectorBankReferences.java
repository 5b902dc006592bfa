package dev.vbank.scheduler.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.common.spec.BaseModelShape;
import dev.vbank.common.spec.BaseModelShapes;
import dev.vbank.common.spec.Hyperparameters;
import dev.vbank.common.spec.InvalidSpecException;
import dev.vbank.scheduler.eval.ArtifactLookup;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.Unavailable;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;

/**
 * {@code method.hyperparameters.vector_bank}: a VB-LoRA job trains against a published bank, frozen. Checked at create,
 * before the hyperparameters are resolved, against the bank's metadata from the artifact-service: the bank exists for
 * the tenant (its own or platform-wide; another tenant's private bank is unknown), belongs to the job's base model, and
 * its shape (h, b) agrees with {@code num_vectors} / {@code vector_length} (taken from the bank where the job sets none)
 * and divides every adapted module. Every such error is a 400 naming {@value #PARAM}, so nothing reaches a worker.
 */
@ApplicationScoped
public class VectorBankReferences {
    static final String PARAM = "method.hyperparameters.vector_bank";

    private final ArtifactLookup artifacts;

    public VectorBankReferences(ArtifactLookup artifacts) {
        this.artifacts = artifacts;
    }

    /** The create-job body with the bank's shape filled in; a body without a well-formed vector_bank as it was. */
    public String resolve(String tenant, String body) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(body == null ? "" : body);
        } catch (IOException e) {
            return body;
        }
        JsonNode method = root == null || !root.isObject() ? null : root.path("method");
        if (method == null || !method.path("type").asText("").equals("vblora")
                || !method.path("hyperparameters").isObject()) {
            return body;
        }
        ObjectNode hp = (ObjectNode) method.get("hyperparameters");
        JsonNode id = hp.get("vector_bank");
        if (id == null || !id.isTextual() || !id.asText().matches("vbank-[A-Za-z0-9_.-]{1,120}")) {
            return body;
        }
        String name = id.asText();
        ArtifactLookup.VectorBank bank;
        try {
            bank = artifacts.vectorBank(tenant, name).orElseThrow(() -> Invalid.of(PARAM,
                    "no vector bank " + name + " for this tenant"));
        } catch (Unavailable e) {
            throw new Unavailable("service_unavailable", "cannot check vector_bank: " + e.getMessage(), PARAM);
        }
        String model = root.path("model").asText("");
        if (!model.equals(bank.baseModel())) {
            throw Invalid.of(PARAM, "vector bank " + name + " belongs to base model " + bank.baseModel() + ", not "
                    + model);
        }
        shape(hp, "num_vectors", bank.numVectors(), name);
        shape(hp, "vector_length", bank.vectorLength(), name);
        BaseModelShape shape = BaseModelShapes.find(model).orElse(null);
        if (shape != null) {
            try {
                Hyperparameters.resolve(MethodType.VBLORA, hp, shape);
            } catch (InvalidSpecException e) {
                if (e.param().endsWith(".vector_length")) {
                    throw Invalid.of(PARAM, "vector bank " + name + " has vector_length " + bank.vectorLength()
                            + ", which does not fit the adapted modules: " + e.getMessage());
                }
                // anything else the request parser reports with its own field
            }
        }
        return root.toString();
    }

    private static void shape(ObjectNode hp, String field, int bankValue, String bank) {
        JsonNode asked = hp.get(field);
        if (asked == null || asked.isNull()) {
            hp.set(field, IntNode.valueOf(bankValue));
        } else if (!asked.isIntegralNumber() || asked.asLong() != bankValue) {
            throw Invalid.of(PARAM, field + " is " + asked + " but vector bank " + bank + " has " + bankValue
                    + "; leave it unset to take the bank's");
        }
    }
}
