package dev.vbank.text.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Hand-encoded protobuf messages (field numbers from onnx.proto3) exercise paths the real files do not: float_data, unpacked dims, damage. */
class OnnxModelTest {
    @Test
    void readsFloatDataUnpackedDimsAndNodes() {
        Proto tensor = new Proto().varint(1, 2).varint(1, 3) // dims 2, 3 as two unpacked varints
                .varint(2, OnnxModel.FLOAT)
                .bytes(4, Proto.floatsLe(1, 2, 3, 4, 5, 6)) // packed float_data
                .string(8, "w");
        Proto node = new Proto().string(1, "x").string(1, "w").string(2, "y").string(3, "/mm").string(4, "MatMul")
                .varint(99, 5); // unknown field: skipped
        Proto graph = new Proto().message(1, node).message(5, tensor).string(2, "g");
        Proto model = new Proto().varint(1, 8).string(2, "hand").message(7, graph);

        OnnxModel m = OnnxModel.parse(model.buffer(), "hand.onnx");
        assertThat(m.producer()).isEqualTo("hand");
        OnnxModel.Initializer w = m.initializers().get("w");
        assertThat(w.dims()).containsExactly(2, 3);
        assertThat(w.floats()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(m.nodes()).singleElement().satisfies(n -> {
            assertThat(n.opType()).isEqualTo("MatMul");
            assertThat(n.inputs()).containsExactly("x", "w");
            assertThat(n.outputs()).containsExactly("y");
        });
    }

    @Test
    void damagedBytesFailWithWhereAndWhy() {
        Proto tensor = new Proto().varint(1, 4).varint(2, OnnxModel.FLOAT).bytes(9, Proto.floatsLe(1, 2, 3)).string(8, "short");
        OnnxModel m = OnnxModel.parse(new Proto().message(7, new Proto().message(5, tensor)).buffer(), "s.onnx");
        assertThatThrownBy(() -> m.initializers().get("short").floats())
                .isInstanceOf(OnnxFormatException.class).hasMessageContaining("short").hasMessageContaining("need 16");

        byte[] good = new Proto().message(7, new Proto().message(5, tensor)).out.toByteArray();
        ByteBuffer cut = ByteBuffer.wrap(good, 0, good.length - 5).slice();
        assertThatThrownBy(() -> OnnxModel.parse(cut, "cut.onnx"))
                .isInstanceOf(OnnxFormatException.class).hasMessageContaining("cut.onnx").hasMessageContaining("exceeds");
        assertThatThrownBy(() -> OnnxModel.parse(new Proto().string(2, "no graph").buffer(), "n.onnx"))
                .hasMessageContaining("no graph");
    }
}
