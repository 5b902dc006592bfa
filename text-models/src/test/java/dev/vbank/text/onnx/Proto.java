package dev.vbank.text.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Test helper: writes protobuf wire format by hand, to build small ONNX messages. */
public final class Proto {
    public final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public Proto varint(int field, long v) {
        key(field, 0);
        raw(v);
        return this;
    }

    public Proto bytes(int field, byte[] b) {
        key(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    public Proto string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    public Proto message(int field, Proto p) {
        return bytes(field, p.out.toByteArray());
    }

    private void key(int field, int wire) {
        raw((long) field << 3 | wire);
    }

    private void raw(long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    public ByteBuffer buffer() {
        return ByteBuffer.wrap(out.toByteArray());
    }

    public static byte[] floatsLe(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }
}
