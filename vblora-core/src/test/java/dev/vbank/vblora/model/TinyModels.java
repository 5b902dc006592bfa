package dev.vbank.vblora.model;

import dev.vbank.vblora.config.VbloraConfig;

import java.util.Random;

/** Small shapes that keep the engine tests fast. */
public final class TinyModels {

    public static final EncoderShape SHAPE = new EncoderShape(50, 16, 2, 2, 32, 16, 2, 1e-12f);

    private TinyModels() {
    }

    public static VbloraConfig vblora(String targets) {
        return VbloraConfig.builder().numVectors(8).vectorLength(8).r(2).topk(2).targetModules(targets).build();
    }

    /** Random ids, a mask with padding at the end of some rows, and labels in [0, numLabels). */
    public static Batch batch(Random random, int size, int seqLen, int numLabels) {
        long[] ids = new long[size * seqLen];
        long[] mask = new long[size * seqLen];
        long[] types = new long[size * seqLen];
        float[] labels = new float[size];
        for (int i = 0; i < size; i++) {
            int valid = seqLen - random.nextInt(Math.max(1, seqLen / 2));
            for (int t = 0; t < seqLen; t++) {
                ids[i * seqLen + t] = t < valid ? 1 + random.nextInt(SHAPE.vocabSize() - 1) : 0;
                mask[i * seqLen + t] = t < valid ? 1 : 0;
                types[i * seqLen + t] = t >= valid / 2 && t < valid ? 1 : 0;
            }
            labels[i] = random.nextInt(numLabels);
        }
        return new Batch(size, seqLen, ids, mask, types, labels);
    }

    /** A learnable task: the label is whether token 7 occurs in the row. */
    public static Batch separableBatch(Random random, int size, int seqLen) {
        long[] ids = new long[size * seqLen];
        long[] mask = new long[size * seqLen];
        float[] labels = new float[size];
        for (int i = 0; i < size; i++) {
            boolean positive = i % 2 == 0;
            for (int t = 0; t < seqLen; t++) {
                long id = 10 + random.nextInt(SHAPE.vocabSize() - 10);
                ids[i * seqLen + t] = positive && t % 2 == 0 ? 7 : id;
                mask[i * seqLen + t] = 1;
            }
            labels[i] = positive ? 1 : 0;
        }
        return new Batch(size, seqLen, ids, mask, null, labels);
    }
}
