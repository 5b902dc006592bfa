package dev.vbank.vblora.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.ClassificationHead;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.model.TinyModels;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link AdapterMethod#continueFrom}: a stored adapter's weights, with its head when that fits, else a fresh head. */
class ContinueFromTest {

    @Test
    void keepsTheAdapterAndAFittingHeadAndDrawsAHeadOtherwise() {
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            EncoderWeights base = EncoderWeights.random(manager, TinyModels.SHAPE, 3);
            VbloraMethod method = new VbloraMethod(TinyModels.vblora("qv"));
            Batch probe = TinyModels.batch(new Random(4), 3, 5, 2);
            Map<String, Tensor> state;
            float[] expected;
            try (AdaptedEncoder trained = method.create(manager, base, 2, Pooling.MEAN, 11)) {
                state = trained.exportState();
                expected = trained.predict(manager, probe);
            }
            try (AdaptedEncoder same = method.continueFrom(manager, base, 2, Pooling.MEAN, state, 99)) {
                assertThat(same.predict(manager, probe)).containsExactly(expected);
                assertThat(same.exportState()).isEqualTo(state);
            }
            // three labels now: the adapter is kept, the head is new
            try (AdaptedEncoder relabelled = method.continueFrom(manager, base, 3, Pooling.MEAN, state, 99)) {
                Map<String, Tensor> s = relabelled.exportState();
                assertThat(s.get(ClassificationHead.WEIGHT).shape()).containsExactly(3, TinyModels.SHAPE.hiddenSize());
                Map<String, Tensor> adapterOnly = new LinkedHashMap<>(s);
                adapterOnly.remove(ClassificationHead.WEIGHT);
                adapterOnly.remove(ClassificationHead.BIAS);
                Map<String, Tensor> storedAdapter = new LinkedHashMap<>(state);
                storedAdapter.remove(ClassificationHead.WEIGHT);
                storedAdapter.remove(ClassificationHead.BIAS);
                assertThat(adapterOnly).isEqualTo(storedAdapter);
            }
            // an imported adapter without a head
            Map<String, Tensor> headless = new LinkedHashMap<>(state);
            headless.remove(ClassificationHead.WEIGHT);
            headless.remove(ClassificationHead.BIAS);
            try (AdaptedEncoder fresh = method.continueFrom(manager, base, 2, Pooling.MEAN, headless, 99)) {
                assertThat(fresh.exportState()).containsKeys(ClassificationHead.WEIGHT, ClassificationHead.BIAS);
            }
        }
    }
}
