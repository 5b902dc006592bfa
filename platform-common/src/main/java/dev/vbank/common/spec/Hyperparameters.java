package dev.vbank.common.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.spec.Hyperparameter.Range;
import dev.vbank.common.spec.Hyperparameter.Type;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.vbank.common.job.MethodType.HEAD_ONLY;
import static dev.vbank.common.job.MethodType.LORA;
import static dev.vbank.common.job.MethodType.VBLORA;

/**
 * Every hyperparameter a fine-tuning job accepts, with the platform's defaults. The gateway, the scheduler, the worker and
 * the CLI read this table; the engine's configs keep their library's defaults and are handed these values resolved.
 * VB-LoRA's defaults are sized for the 384-wide encoders: vector length 128 divides 384 and 1536 (the paper's 256 does
 * not); 90 vectors, r 4 and k 2 follow the paper's RoBERTa-base GLUE runs.
 */
public final class Hyperparameters {

    /** Where the hyperparameters stand in a create-job body; the prefix of every {@code param} they are named by. */
    public static final String PARAM = "method.hyperparameters";

    private static final Set<MethodType> EVERY_METHOD = Set.of(VBLORA, LORA, HEAD_ONLY);
    private static final Set<MethodType> ADAPTERS = Set.of(VBLORA, LORA);
    private static final int MAX_STEPS = 1_000_000;

    public static final List<Hyperparameter> ALL = List.of(
            integer("n_epochs", 1, 100, 1L, EVERY_METHOD, "passes over the training set"),
            integer("batch_size", 1, 512, 16L, EVERY_METHOD, "rows per optimizer step"),
            integer("max_seq_length", 8, 512, 128L, EVERY_METHOD,
                    "tokens kept per row, longer rows are cut; at most the base model's max_length"),
            number("warmup_ratio", new Range(0, false, 1, true), 0.06, EVERY_METHOD,
                    "share of the steps over which the learning rate rises linearly before it decays linearly"),
            number("lr_head", new Range(0, true, 1, false), 4e-3, EVERY_METHOD,
                    "learning rate of the classification or regression head"),
            number("weight_decay_head", new Range(0, false, 1, false), 0.01, EVERY_METHOD,
                    "AdamW weight decay of the head"),
            integer("checkpoint_every", 1, MAX_STEPS, null, EVERY_METHOD,
                    "optimizer steps between resumable checkpoints; unset: the worker's setting"),
            integer("eval_every", 1, MAX_STEPS, null, EVERY_METHOD,
                    "optimizer steps between validations; unset: five evenly spaced validations, the last at the end"),
            new Hyperparameter("precision", Type.PRECISION, null, "fp32", EVERY_METHOD,
                    "bf16: the frozen base model's linear layers run in bfloat16 while training (mixed precision; the"
                            + " adapter, its optimizer, layer norms, softmax and the loss stay fp32; evaluation runs in"
                            + " fp32); faster on CPUs with AMX or AVX-512 BF16; fails with precision_unavailable where"
                            + " the worker cannot"),
            new Hyperparameter("init_adapter", Type.ADAPTER_ID, null, null, EVERY_METHOD,
                    "continue training this stored or imported adapter (same method and base model, logits kept);"
                            + " its shapes are used where the job sets none; unset: a fresh adapter"),
            new Hyperparameter("vector_bank", Type.VECTOR_BANK_ID, null, null, Set.of(VBLORA),
                    "train against this published vector bank (yours or platform-wide, same base model), loaded"
                            + " frozen: only logits and head train and the adapter stores indices, weights and head,"
                            + " not the bank; num_vectors and vector_length are the bank's where unset"),
            new Hyperparameter("bank_mode", Type.BANK_MODE, null, null, Set.of(VBLORA),
                    "with vector_bank: frozen (the bank is not trained; the only mode, the default)"),
            integer("num_vectors", 1, 65536, 90L, Set.of(VBLORA), "vectors in the shared bank (h)"),
            integer("vector_length", 1, 1536, 128L, Set.of(VBLORA),
                    "length of each bank vector (b); must divide the in and out features of every adapted module"),
            integer("r", 1, 256, 4L, Set.of(VBLORA), "rank of each adapted module's A and B"),
            integer("topk", 1, 256, 2L, Set.of(VBLORA),
                    "bank vectors mixed into each sub-vector (k); at most num_vectors"),
            new Hyperparameter("target_modules", Type.TARGET_MODULES, null, "qv", ADAPTERS,
                    "modules to adapt: qv, all-linear or comma-separated names (query, key, value,"
                            + " attention.output.dense, intermediate.dense, output.dense)"),
            new Hyperparameter("layers_to_transform", Type.LAYERS, null, null, ADAPTERS,
                    "encoder layers to adapt, e.g. [0, 5]; unset: all"),
            number("dropout", new Range(0, false, 1, true), 0.0, Set.of(VBLORA), "dropout on the adapter's input"),
            number("init_vector_bank_bound", new Range(0, true, 1, false), 0.02, Set.of(VBLORA),
                    "the bank starts uniform in [-bound, bound]"),
            number("init_logits_std", new Range(0, false, 10, false), 0.1, Set.of(VBLORA),
                    "standard deviation of the initial top-k logits"),
            number("lr_vector_bank", new Range(0, true, 1, false), 1e-3, Set.of(VBLORA), "learning rate of the bank"),
            number("lr_logits", new Range(0, true, 1, false), 1e-2, Set.of(VBLORA), "learning rate of the logits"),
            new Hyperparameter("save_only_topk_weights", Type.BOOLEAN, null, false, Set.of(VBLORA),
                    "store only the top-k weights of each logit vector (smaller adapter, no further training)"),
            integer("r", 1, 256, 8L, Set.of(LORA), "LoRA rank"),
            number("lora_alpha", new Range(0, true, 4096, false), 16.0, Set.of(LORA), "B A is scaled by lora_alpha / r"),
            number("lora_dropout", new Range(0, false, 1, true), 0.1, Set.of(LORA), "dropout on the adapter's input"),
            number("lr_lora", new Range(0, true, 1, false), 5e-4, Set.of(LORA), "learning rate of A and B"));

    private Hyperparameters() {
    }

    /** The hyperparameters {@code method} accepts, in table order. */
    public static List<Hyperparameter> of(MethodType method) {
        return ALL.stream().filter(h -> h.methods().contains(method)).toList();
    }

    public static Optional<Hyperparameter> find(MethodType method, String name) {
        return ALL.stream().filter(h -> h.name().equals(name) && h.methods().contains(method)).findFirst();
    }

    /** What a job of {@code method} that sets nothing trains with (those without a default are absent). */
    public static Map<String, Object> defaults(MethodType method) {
        Map<String, Object> out = new LinkedHashMap<>();
        of(method).stream().filter(h -> h.defaultValue() != null).forEach(h -> out.put(h.name(), h.defaultValue()));
        return out;
    }

    /**
     * Validates a job's {@code hyperparameters} object (null or missing: none set; a name set to null: unset) for {@code method} on {@code model}
     * and returns every value the job trains with, defaults filled in, in table order. Throws
     * {@link InvalidSpecException} naming the first offending field.
     */
    public static Map<String, Object> resolve(MethodType method, JsonNode hyperparameters, BaseModelShape model) {
        Map<String, Object> set = new LinkedHashMap<>();
        if (hyperparameters != null && !hyperparameters.isNull()) {
            if (!hyperparameters.isObject()) {
                throw new InvalidSpecException(PARAM, "hyperparameters must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = hyperparameters.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getValue().isNull() && ALL.stream().anyMatch(h -> h.name().equals(field.getKey()))) {
                    // null is unset, as a missing name is: clients generated from the OpenAPI document may send
                    // null for the hyperparameters they leave unset, those of other methods included
                    continue;
                }
                String param = PARAM + "." + field.getKey();
                Hyperparameter h = find(method, field.getKey()).orElseThrow(() -> new InvalidSpecException(param,
                        "unknown hyperparameter '" + field.getKey() + "' for method " + method.wireName() + "; allowed: "
                                + String.join(", ", of(method).stream().map(Hyperparameter::name).sorted().toList())));
                set.put(h.name(), h.read(field.getValue(), param, model));
            }
        }
        Map<String, Object> resolved = new LinkedHashMap<>();
        for (Hyperparameter h : of(method)) {
            Object v = set.containsKey(h.name()) ? set.get(h.name()) : h.defaultValue();
            if (v != null) {
                resolved.put(h.name(), v);
            }
        }
        checkAgainstEachOther(method, resolved, model);
        if (resolved.containsKey("vector_bank")) {
            resolved.putIfAbsent("bank_mode", "frozen");
        }
        return resolved;
    }

    private static void checkAgainstEachOther(MethodType method, Map<String, Object> hp, BaseModelShape model) {
        long maxSeqLength = ((Number) hp.get("max_seq_length")).longValue();
        if (maxSeqLength > model.maxLength()) {
            throw new InvalidSpecException(PARAM + ".max_seq_length", "max_seq_length " + maxSeqLength + " exceeds "
                    + model.id() + "'s max_length " + model.maxLength());
        }
        if (method != VBLORA) {
            return;
        }
        if (hp.containsKey("bank_mode") && !hp.containsKey("vector_bank")) {
            throw new InvalidSpecException(PARAM + ".bank_mode", "bank_mode applies to jobs that name a vector_bank");
        }
        long h = ((Number) hp.get("num_vectors")).longValue();
        long k = ((Number) hp.get("topk")).longValue();
        if (k > h) {
            throw new InvalidSpecException(PARAM + ".topk", "topk (" + k + ") must not exceed num_vectors (" + h + ")");
        }
        long b = ((Number) hp.get("vector_length")).longValue();
        String targets = (String) hp.get("target_modules");
        for (BaseModelShape.LinearModule m : Hyperparameter.targetModules(targets, PARAM + ".target_modules", model)) {
            if (m.in() % b != 0 || m.out() % b != 0) {
                throw new InvalidSpecException(PARAM + ".vector_length", "vector_length " + b + " does not divide the"
                        + " features of " + m.name() + " (" + m.in() + " in, " + m.out() + " out) of " + model.id());
            }
        }
    }

    private static Hyperparameter integer(String name, long min, long max, Long defaultValue, Set<MethodType> methods,
                                          String description) {
        return new Hyperparameter(name, Type.INTEGER, new Range(min, false, max, false), defaultValue, methods,
                description);
    }

    private static Hyperparameter number(String name, Range range, Double defaultValue, Set<MethodType> methods,
                                         String description) {
        return new Hyperparameter(name, Type.NUMBER, range, defaultValue, methods, description);
    }
}
