package dev.vbank.text.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vbank.text.TestDirs;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightFileTest {
    @TempDir
    Path dir;

    private static Map<String, FloatTensor> sample() {
        Map<String, FloatTensor> m = new LinkedHashMap<>();
        m.put("a.weight", new FloatTensor("a.weight", new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, -0.0f}));
        m.put("a.bias", new FloatTensor("a.bias", new int[] {2}, new float[] {Float.MIN_VALUE, 7.5f}));
        return m;
    }

    @Test
    void roundTripsTensorsInOrderWithAVerifiedChecksum() throws Exception {
        Path f = dir.resolve("w.safetensors");
        String sha = WeightFile.write(f, sample(), Map.of("model", "tiny"));

        // payload = 8 floats, little-endian, in map order; its sha256 is what the header records
        ByteBuffer payload = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {1, 2, 3, 4, 5, -0.0f, Float.MIN_VALUE, 7.5f}) {
            payload.putFloat(v);
        }
        assertThat(sha).isEqualTo(WeightFile.sha256Hex(payload.array()));

        WeightFile.Contents c = WeightFile.read(f, sha);
        assertThat(c.tensors().keySet()).containsExactly("a.weight", "a.bias");
        assertThat(c.tensors().get("a.weight").shape()).containsExactly(2, 3);
        assertThat(c.tensors().get("a.weight").get(1, 2)).isEqualTo(-0.0f);
        assertThat(Float.floatToRawIntBits(c.tensors().get("a.weight").get(1, 2))).isEqualTo(0x80000000);
        assertThat(c.tensors().get("a.bias").data()).containsExactly(Float.MIN_VALUE, 7.5f);
        assertThat(FloatTensor.shapes(c.tensors()).get("a.weight")).containsExactly(2L, 3L);
        assertThat(FloatTensor.values(c.tensors()).get("a.bias")).containsExactly(Float.MIN_VALUE, 7.5f);
        assertThat(c.metadata()).containsEntry("model", "tiny").containsEntry("payload_sha256", sha);
        // safetensors framing: 8-byte length, header padded to a multiple of 8, then exactly the payload
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).isZero();
        assertThat(Files.size(f)).isEqualTo(8 + headerLen + 32);
    }

    @Test
    void detectsAFlippedPayloadBitATruncationAndAWrongPin() throws Exception {
        Path f = dir.resolve("w.safetensors");
        String sha = WeightFile.write(f, sample(), Map.of());
        byte[] good = Files.readAllBytes(f);

        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(good.length - 3);
            raf.write(good[good.length - 3] ^ 0x10);
        }
        assertThatThrownBy(() -> WeightFile.read(f, null))
                .isInstanceOf(WeightFileException.class).hasMessageContaining("payload sha256 is");

        Files.write(f, java.util.Arrays.copyOf(good, good.length - 4));
        assertThatThrownBy(() -> WeightFile.read(f, null)).isInstanceOf(WeightFileException.class);

        Files.write(f, good);
        assertThatThrownBy(() -> WeightFile.read(f, "00".repeat(32)))
                .isInstanceOf(WeightFileException.class).hasMessageContaining("expected " + "00".repeat(32));
        assertThat(WeightFile.read(f, sha).tensors()).hasSize(2);
    }

    @Test
    void storeConvertsOnceAndRepairsADamagedCacheEntry() throws Exception {
        Path root = dir.resolve("models");
        BaseModelStore store = new BaseModelStore(root);
        BaseModel m = BaseModels.ALL_MINILM_L6_V2;

        Path f = store.ensureConverted(m);
        assertThat(f).isEqualTo(root.resolve("all-minilm-l6-v2").resolve("weights.safetensors"));
        var firstWrite = Files.getLastModifiedTime(f);
        assertThat(store.ensureConverted(m)).isEqualTo(f);
        assertThat(Files.getLastModifiedTime(f)).isEqualTo(firstWrite);
        assertThat(Files.list(f.getParent())).containsExactly(f);

        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(raf.length() / 2);
            raf.write(0x7f);
            raf.write(0x7f);
        }
        assertThatThrownBy(() -> WeightFile.read(f, m.weightsSha256())).isInstanceOf(WeightFileException.class);
        Map<String, FloatTensor> w = store.load(m);
        assertThat(w).containsKey("encoder.layer.5.output.dense.weight");
        assertThat(WeightFile.read(f, m.weightsSha256()).payloadSha256()).isEqualTo(m.weightsSha256());
    }

    @Test
    void registryKnowsEachModelAndRejectsUnknownIds() {
        assertThat(BaseModels.all()).extracting(BaseModel::id)
                .containsExactly("all-minilm-l6-v2", "bge-small-en-v1.5", "e5-small-v2");
        assertThat(BaseModels.get("bge-small-en-v1.5").pooling()).isEqualTo(Pooling.CLS);
        assertThat(BaseModels.get("e5-small-v2").layers()).isEqualTo(12);
        assertThat(BaseModels.ALL_MINILM_L6_V2.headSize()).isEqualTo(32);
        assertThatThrownBy(() -> BaseModels.get("gpt-2")).hasMessageContaining("gpt-2").hasMessageContaining("e5-small-v2");
        assertThat(TestDirs.models()).isAbsolute();
    }
}
