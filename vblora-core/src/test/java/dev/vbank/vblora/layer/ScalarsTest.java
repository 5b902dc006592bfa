package dev.vbank.vblora.layer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScalarsTest {

    /** The scalar survives a garbage collection between forward and backward, and freed memory being scribbled on. */
    @Test
    void scalarProductKeepsItsGradientAcrossGarbageCollection() throws InterruptedException {
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            for (int round = 0; round < 5; round++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.create(new float[] {1f, -2f, 3f});
                    x.setRequiresGradient(true);
                    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray y = Scalars.mul(x, 0.125f).sum();
                        scribbleOverFreedMemory();
                        collector.backward(y);
                    }
                    try (NDArray g = x.getGradient()) {
                        assertThat(g.toFloatArray()).containsExactly(0.125f, 0.125f, 0.125f);
                    }
                }
            }
        }
    }

    private static void scribbleOverFreedMemory() throws InterruptedException {
        System.gc();
        Thread.sleep(20);
        List<ByteBuffer> junk = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 4) * 4);
            while (b.hasRemaining()) {
                b.put((byte) 0x7f);
            }
            junk.add(b);
        }
        assertThat(junk).hasSize(20_000);
    }
}
