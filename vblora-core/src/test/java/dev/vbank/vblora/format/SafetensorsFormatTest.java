package dev.vbank.vblora.format;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsFormatTest {

    /** A file from a literal header and buffer, bypassing the writer. */
    static byte[] raw(String header, int bufferBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + bufferBytes).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(h.length).put(h);
        return bb.array();
    }

    @Test
    void roundTripAllDtypesAndMetadata() {
        Tensor f = Tensor.of(new float[]{1.5f, -2f, 3.25f, 0f, 1e-3f, 7f}, 2, 3);
        List<Safetensors.Entry> in = List.of(
                Safetensors.Entry.f32("a.weight", f),
                Safetensors.Entry.f16("a.half", f),
                Safetensors.Entry.ints("idx.u8", Safetensors.DType.U8, new long[]{4}, new int[]{0, 7, 200, 255}),
                Safetensors.Entry.ints("idx.i16", Safetensors.DType.I16, new long[]{2, 2}, new int[]{-3, 300, 32767, 0}),
                Safetensors.Entry.ints("idx.i32", Safetensors.DType.I32, new long[]{1}, new int[]{70000}),
                Safetensors.Entry.ints("idx.i64", Safetensors.DType.I64, new long[]{2}, new int[]{-1, 5}),
                Safetensors.Entry.f32("scalar", Tensor.of(new float[]{42f})));
        byte[] bytes = Safetensors.write(Map.of("format", "pt"), in);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).isZero();

        Safetensors.Contents c = Safetensors.read(bytes);
        assertThat(c.metadata()).containsEntry("format", "pt");
        assertThat(c.tensors().values()).containsExactlyElementsOf(in);
        assertThat(c.require("a.weight").toTensor()).isEqualTo(f);
        Tensor half = c.require("a.half").toTensor();
        for (int i = 0; i < f.numel(); i++) {
            assertThat(half.data()[i]).isCloseTo(f.data()[i], org.assertj.core.data.Offset.offset(Math.abs(f.data()[i]) * 1e-3f));
        }
        assertThat(c.require("idx.u8").toInts()).containsExactly(0, 7, 200, 255);
        assertThat(c.require("idx.i16").toInts()).containsExactly(-3, 300, 32767, 0);
        assertThat(c.require("idx.i32").toInts()).containsExactly(70000);
        assertThat(c.require("idx.i64").toInts()).containsExactly(-1, 5);
        assertThat(c.require("scalar").shape()).isEmpty();
    }

    @Test
    void readsAFileWrittenByHand() {
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1f).putFloat(2f).put((byte) 9).put((byte) 8).put((byte) 7).put((byte) 6);
        String header = "{\"b\":{\"dtype\":\"U8\",\"shape\":[2,2],\"data_offsets\":[8,12]},"
                + "\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] file = raw(header, 12);
        System.arraycopy(data.array(), 0, file, file.length - 12, 12);
        Safetensors.Contents c = Safetensors.read(file);
        assertThat(c.require("a").toTensor().data()).containsExactly(1f, 2f);
        assertThat(c.require("b").toInts()).containsExactly(9, 8, 7, 6);
        assertThat(c.tensors().keySet()).containsExactly("a", "b");
        assertThat(c.metadata()).containsEntry("k", "v");
    }

    @Test
    void rejectsTruncatedFiles() {
        byte[] ok = Safetensors.write(Map.of(), List.of(Safetensors.Entry.f32("x", Tensor.zeros(4, 4))));
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(ok, 5))).isInstanceOf(FormatException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(ok, 20))).isInstanceOf(FormatException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(ok, ok.length - 1))).isInstanceOf(FormatException.class)
                .hasMessageContaining("run past");
        byte[] longer = Arrays.copyOf(ok, ok.length + 4);
        assertThatThrownBy(() -> Safetensors.read(longer)).hasMessageContaining("cover");
    }

    @Test
    void rejectsBadHeaders() {
        String t = "{\"x\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":%s}}";
        assertThatThrownBy(() -> Safetensors.read(raw(t.formatted("F8_E4M3X", "[2]", "[0,2]"), 2)))
                .isInstanceOf(FormatException.class).hasMessageContaining("unsupported dtype 'F8_E4M3X'");
        assertThatThrownBy(() -> Safetensors.read(raw(t.formatted("F32", "[2]", "[0,4]"), 4)))
                .hasMessageContaining("needs 8 bytes but data_offsets span 4");
        assertThatThrownBy(() -> Safetensors.read(raw(t.formatted("F32", "[-2]", "[0,8]"), 8)))
                .hasMessageContaining("invalid dimension");
        assertThatThrownBy(() -> Safetensors.read(raw(t.formatted("F32", "[2]", "[8,0]"), 8)))
                .hasMessageContaining("invalid data_offsets");
        assertThatThrownBy(() -> Safetensors.read(raw(t.formatted("F32", "[2]", "[0,8,9]"), 8)))
                .hasMessageContaining("[begin, end]");
        assertThatThrownBy(() -> Safetensors.read(raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)))
                .hasMessageContaining("exactly dtype, shape, data_offsets");
        assertThatThrownBy(() -> Safetensors.read(raw("{\"__metadata__\":{\"a\":1}}", 0)))
                .hasMessageContaining("not a string");
        assertThatThrownBy(() -> Safetensors.read(raw("{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2)))
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Safetensors.read(raw("[1,2]", 0))).hasMessageContaining("'{'");
        byte[] huge = raw("{}", 0);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        assertThatThrownBy(() -> Safetensors.read(huge)).hasMessageContaining("header length");
    }

    @Test
    void rejectsOverlapHolesAndOutOfRange() {
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertThatThrownBy(() -> Safetensors.read(raw(overlap, 12))).hasMessageContaining("overlap");
        String hole = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertThatThrownBy(() -> Safetensors.read(raw(hole, 12))).hasMessageContaining("hole");
        String outside = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        assertThatThrownBy(() -> Safetensors.read(raw(outside, 8))).hasMessageContaining("run past the 8-byte buffer");
    }

    @Test
    void writerRefusesValuesOutsideTheDtype() {
        assertThatThrownBy(() -> Safetensors.Entry.ints("i", Safetensors.DType.U8, new long[]{1}, new int[]{256}))
                .hasMessageContaining("outside [0, 255]");
        assertThatThrownBy(() -> Safetensors.Entry.ints("i", Safetensors.DType.I16, new long[]{1}, new int[]{40000}))
                .hasMessageContaining("outside");
        assertThatThrownBy(() -> Safetensors.write(Map.of(), List.of(Safetensors.Entry.f32("d", Tensor.zeros(1)),
                Safetensors.Entry.f32("d", Tensor.zeros(1))))).hasMessageContaining("duplicate");
    }
}
