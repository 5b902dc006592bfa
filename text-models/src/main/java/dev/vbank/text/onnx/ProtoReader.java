package dev.vbank.text.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Minimal protobuf wire-format cursor over a byte buffer: enough to walk ONNX messages field by field.
 * Length-delimited fields come back as zero-copy slices of the underlying buffer.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final ByteBuffer buf;
    private final String what;
    private int tag;

    ProtoReader(ByteBuffer buf, String what) {
        this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.what = what;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (!buf.hasRemaining()) {
            return false;
        }
        long key = readVarint();
        tag = (int) key;
        if (fieldNumber() == 0) {
            throw error("field number 0");
        }
        return true;
    }

    int fieldNumber() {
        return tag >>> 3;
    }

    int wireType() {
        return tag & 7;
    }

    long varint() {
        expect(VARINT);
        return readVarint();
    }

    ByteBuffer bytes() {
        expect(LEN);
        long len = readVarint();
        if (len < 0 || len > buf.remaining()) {
            throw error("length " + len + " exceeds the " + buf.remaining() + " bytes left");
        }
        ByteBuffer slice = buf.slice(buf.position(), (int) len).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + (int) len);
        return slice;
    }

    String string() {
        ByteBuffer b = bytes();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    int fixed32() {
        expect(FIXED32);
        return buf.getInt();
    }

    long fixed64() {
        expect(FIXED64);
        return buf.getLong();
    }

    /** Reads a repeated varint field that may be packed (LEN) or not (VARINT), appending to {@code out}. */
    void repeatedVarint(java.util.List<Long> out) {
        if (wireType() == LEN) {
            ProtoReader packed = new ProtoReader(bytes(), what);
            while (packed.buf.hasRemaining()) {
                out.add(packed.readVarint());
            }
        } else {
            out.add(varint());
        }
    }

    void skip() {
        switch (wireType()) {
            case VARINT -> readVarint();
            case FIXED64 -> advance(8);
            case LEN -> bytes();
            case FIXED32 -> advance(4);
            default -> throw error("unsupported wire type " + wireType() + " for field " + fieldNumber());
        }
    }

    private void advance(int n) {
        if (buf.remaining() < n) {
            throw error("truncated fixed-width field " + fieldNumber());
        }
        buf.position(buf.position() + n);
    }

    private void expect(int wire) {
        if (wireType() != wire) {
            throw error("field " + fieldNumber() + " has wire type " + wireType() + ", expected " + wire);
        }
    }

    private long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buf.hasRemaining()) {
                throw error("truncated varint");
            }
            byte b = buf.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw error("varint longer than 10 bytes");
    }

    private OnnxFormatException error(String msg) {
        return new OnnxFormatException(what + " at byte " + buf.position() + ": " + msg);
    }
}
