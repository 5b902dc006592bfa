package dev.vbank.text.interop;

import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.format.PeftFormat;
import dev.vbank.vblora.model.EncoderShape;

import java.util.List;
import java.util.Optional;

/** How transformers knows each registered base model, for PEFT export and import. */
public final class PeftTargets {
    private static final String HUB = "https://huggingface.co/";

    private PeftTargets() {
    }

    /** The Hugging Face id: the model card's path on the hub, e.g. {@code sentence-transformers/all-MiniLM-L6-v2}. */
    public static String huggingFaceId(BaseModel m) {
        if (!m.modelCard().startsWith(HUB)) {
            throw new IllegalStateException(m.id() + ": model card " + m.modelCard() + " is not on " + HUB);
        }
        return m.modelCard().substring(HUB.length());
    }

    public static PeftFormat.Target of(BaseModel m) {
        if (!m.architecture().equals("bert")) {
            throw new IllegalStateException(m.id() + ": no PEFT target for architecture " + m.architecture());
        }
        return PeftFormat.Target.bert(huggingFaceId(m), m.pooling().name().toLowerCase(), m.textPrefix());
    }

    /** The encoder's adaptable linear layers (paths inside the bare encoder, with in/out features). */
    public static List<ModuleShape> adaptableModules(BaseModel m) {
        return new EncoderShape(m.vocabSize(), m.hiddenSize(), m.layers(), m.heads(), m.intermediateSize(),
                m.maxPositions(), m.typeVocabSize(), (float) m.layerNormEps()).linearModules();
    }

    /** The registered model a PEFT config names: vbank's id or the Hugging Face id (case-insensitive, as the hub is). */
    public static Optional<BaseModel> find(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            return Optional.empty();
        }
        return BaseModels.find(nameOrPath).or(() -> BaseModels.all().stream()
                .filter(m -> huggingFaceId(m).equalsIgnoreCase(nameOrPath)).findFirst());
    }
}
