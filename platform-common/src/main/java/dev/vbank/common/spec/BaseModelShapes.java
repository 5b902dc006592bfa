package dev.vbank.common.spec;

import java.util.List;
import java.util.Optional;

/**
 * The base models jobs may name. The engine's registry (text-models {@code BaseModels}) holds where their weights come
 * from; the gpu-worker's tests check that both agree on every shape.
 */
public final class BaseModelShapes {

    public static final List<BaseModelShape> ALL = List.of(
            BaseModelShape.bert("all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2", 384, 6, 1536, 12, 512),
            BaseModelShape.bert("bge-small-en-v1.5", "BAAI/bge-small-en-v1.5", 384, 12, 1536, 12, 512),
            BaseModelShape.bert("e5-small-v2", "intfloat/e5-small-v2", 384, 12, 1536, 12, 512));

    private BaseModelShapes() {
    }

    public static Optional<BaseModelShape> find(String id) {
        return ALL.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    public static List<String> ids() {
        return ALL.stream().map(BaseModelShape::id).sorted().toList();
    }
}
