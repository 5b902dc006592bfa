package dev.vbank.vblora.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Times DJL's linear layer with bias on a rank-3 input (libtorch runs matmul, then a separate bias {@code add_})
 * against the same input flattened to a matrix (one fused {@code addmm}), interleaved, at the FFN shape of a MiniLM
 * step (16 × 128 × 384 → 1536). Args: {@code [rounds] [threads]} (12, 2). BENCHMARKS.md says what it showed.
 */
public final class LinearLayoutProbe {

    private LinearLayoutProbe() {
    }

    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        System.setProperty("ai.djl.pytorch.num_threads", args.length > 1 ? args[1] : "2");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        double[] rank3 = new double[rounds];
        double[] flat = new double[rounds];
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(16, 128, 384));
            NDArray w = m.randomNormal(new Shape(1536, 384));
            NDArray b = m.randomNormal(new Shape(1536));
            for (int i = 0; i < rounds; i++) {
                for (int v = 0; v < 2; v++) {
                    boolean flattened = (v + i) % 2 == 0;
                    try (NDManager step = m.newSubManager()) {
                        x.tempAttach(step);
                        w.tempAttach(step);
                        b.tempAttach(step);
                        long t0 = System.nanoTime();
                        NDArray y = flattened
                                ? Linear.linear(x.reshape(-1, 384), w, b).singletonOrThrow().reshape(16, 128, 1536)
                                : Linear.linear(x, w, b).singletonOrThrow();
                        y.get(0, 0, 0).getFloat();
                        double ms = (System.nanoTime() - t0) / 1e6;
                        (flattened ? flat : rank3)[i] = ms;
                    }
                }
            }
        }
        Arrays.sort(rank3);
        Arrays.sort(flat);
        System.out.printf(Locale.ROOT, "linear (16,128,384) x (1536,384)^T + b: rank-3 input median %.1f ms, flattened"
                        + " median %.1f ms (flattened / rank-3 = %.2f), load average %s%n", rank3[rounds / 2],
                flat[rounds / 2], flat[rounds / 2] / rank3[rounds / 2],
                Files.readString(Path.of("/proc/loadavg")).strip());
    }
}
