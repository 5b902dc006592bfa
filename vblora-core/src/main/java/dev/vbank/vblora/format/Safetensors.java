package dev.vbank.vblora.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A strict reader and writer of the safetensors format: 8-byte little-endian header length, a JSON header mapping each
 * tensor name to {@code dtype}, {@code shape} and {@code data_offsets} (plus an optional {@code __metadata__} map of
 * strings), then the byte buffer. The reader rejects truncated files, unknown dtypes, sizes that disagree with shapes,
 * duplicate names, and offsets that overlap, leave holes or run past the buffer.
 */
public final class Safetensors {
    /** Same cap as the reference implementation, against hostile headers. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public enum DType {
        F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

        public final int size;

        DType(int size) {
            this.size = size;
        }

        static DType parse(String name, String tensor) {
            for (DType d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            throw new FormatException("safetensors: tensor '" + tensor + "' has unsupported dtype '" + name + "'");
        }
    }

    /** One tensor, its data raw little-endian. */
    public record Entry(String name, DType dtype, long[] shape, byte[] data) {
        public Entry {
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            }
            long numel = Tensor.numel(shape);
            if (numel * dtype.size != data.length) {
                throw new IllegalArgumentException("tensor '" + name + "' " + dtype + Arrays.toString(shape) + " needs "
                        + numel * dtype.size + " bytes, got " + data.length);
            }
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long numel() {
            return Tensor.numel(shape);
        }

        public static Entry f32(String name, Tensor t) {
            ByteBuffer bb = le(t.numel() * 4);
            bb.asFloatBuffer().put(t.data());
            return new Entry(name, DType.F32, t.shape(), bb.array());
        }

        public static Entry f16(String name, Tensor t) {
            ByteBuffer bb = le(t.numel() * 2);
            for (float f : t.data()) {
                bb.putShort(Half.fromFloat(f));
            }
            return new Entry(name, DType.F16, t.shape(), bb.array());
        }

        /** Integers stored as {@code dtype} (U8, I8, I16, I32, I64); values must fit. */
        public static Entry ints(String name, DType dtype, long[] shape, int[] values) {
            ByteBuffer bb = le(Math.multiplyExact(values.length, dtype.size));
            for (int v : values) {
                switch (dtype) {
                    case U8 -> {
                        checkRange(name, v, 0, 255);
                        bb.put((byte) v);
                    }
                    case I8 -> {
                        checkRange(name, v, Byte.MIN_VALUE, Byte.MAX_VALUE);
                        bb.put((byte) v);
                    }
                    case I16 -> {
                        checkRange(name, v, Short.MIN_VALUE, Short.MAX_VALUE);
                        bb.putShort((short) v);
                    }
                    case I32 -> bb.putInt(v);
                    case I64 -> bb.putLong(v);
                    default -> throw new IllegalArgumentException(dtype + " is not an integer dtype");
                }
            }
            return new Entry(name, dtype, shape, bb.array());
        }

        private static void checkRange(String name, int v, int lo, int hi) {
            if (v < lo || v > hi) {
                throw new IllegalArgumentException("tensor '" + name + "': value " + v + " outside [" + lo + ", " + hi + "]");
            }
        }

        /** Floating-point data (F32, F16, BF16, F64) as fp32. */
        public Tensor toTensor() {
            int n = Math.toIntExact(numel());
            float[] out = new float[n];
            ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case F32 -> bb.asFloatBuffer().get(out);
                case F16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = Half.toFloat(bb.getShort());
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = Half.bf16ToFloat(bb.getShort());
                    }
                }
                case F64 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) bb.getDouble();
                    }
                }
                default -> throw new FormatException("tensor '" + name + "' is " + dtype + ", expected a float dtype");
            }
            return new Tensor(shape, out);
        }

        /** Integer data (U8, I8, I16, I32, I64) as int; I64 values must fit in an int. */
        public int[] toInts() {
            int n = Math.toIntExact(numel());
            int[] out = new int[n];
            ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                out[i] = switch (dtype) {
                    case U8 -> bb.get() & 0xff;
                    case I8 -> bb.get();
                    case I16 -> bb.getShort();
                    case I32 -> bb.getInt();
                    case I64 -> {
                        long v = bb.getLong();
                        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                            throw new FormatException("tensor '" + name + "': value " + v + " does not fit in int");
                        }
                        yield (int) v;
                    }
                    default -> throw new FormatException("tensor '" + name + "' is " + dtype + ", expected an integer dtype");
                };
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && name.equals(e.name) && dtype == e.dtype && Arrays.equals(shape, e.shape)
                    && Arrays.equals(data, e.data);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return name + ":" + dtype + Arrays.toString(shape);
        }
    }

    /** A parsed file: metadata and tensors in buffer order. */
    public record Contents(Map<String, String> metadata, Map<String, Entry> tensors) {
        public Contents {
            metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
            tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }

        public Entry require(String name) {
            Entry e = tensors.get(name);
            if (e == null) {
                throw new FormatException("safetensors: missing tensor '" + name + "'");
            }
            return e;
        }
    }

    private Safetensors() {
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static byte[] write(Map<String, String> metadata, Collection<Entry> entries) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            if (header.has(e.name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + e.name() + "'");
            }
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            offset += e.data().length;
            off.add(offset);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = le(Math.toIntExact(8 + padded + offset));
        out.putLong(padded);
        out.put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (Entry e : entries) {
            out.put(e.data());
        }
        return out.array();
    }

    public static void write(Path file, Map<String, String> metadata, Collection<Entry> entries) throws IOException {
        Files.write(file, write(metadata, entries));
    }

    public static Contents read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    public static Contents read(byte[] bytes) {
        if (bytes.length < 8) {
            throw new FormatException("safetensors: truncated, " + bytes.length + " bytes is shorter than the 8-byte header length");
        }
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw new FormatException("safetensors: header length " + n + " is invalid (2.." + MAX_HEADER_BYTES + ")");
        }
        if (n > bytes.length - 8L) {
            throw new FormatException("safetensors: truncated, header length " + n + " exceeds the " + (bytes.length - 8)
                    + " bytes after it");
        }
        int headerLen = (int) n;
        if (bytes[8] != '{') {
            throw new FormatException("safetensors: header does not start with '{'");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, headerLen, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new FormatException("safetensors: header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new FormatException("safetensors: header is not a JSON object");
        }
        long bufferStart = 8L + headerLen;
        long bufferLen = bytes.length - bufferStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        record Raw(String name, DType dtype, long[] shape, long begin, long end) {
        }
        List<Raw> raws = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new FormatException("safetensors: __metadata__ must be an object of strings");
                }
                v.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw new FormatException("safetensors: __metadata__ value of '" + m.getKey() + "' is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().textValue());
                });
                continue;
            }
            if (name.isEmpty()) {
                throw new FormatException("safetensors: empty tensor name");
            }
            if (!v.isObject() || !Set.of("dtype", "shape", "data_offsets").equals(fieldNames(v))) {
                throw new FormatException("safetensors: tensor '" + name + "' must have exactly dtype, shape, data_offsets");
            }
            if (!v.get("dtype").isTextual()) {
                throw new FormatException("safetensors: tensor '" + name + "' dtype is not a string");
            }
            DType dtype = DType.parse(v.get("dtype").textValue(), name);
            JsonNode shapeNode = v.get("shape");
            if (!shapeNode.isArray()) {
                throw new FormatException("safetensors: tensor '" + name + "' shape is not an array");
            }
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                    throw new FormatException("safetensors: tensor '" + name + "' has invalid dimension " + d);
                }
                shape[i] = d.longValue();
            }
            JsonNode off = v.get("data_offsets");
            if (!off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
                    || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
                throw new FormatException("safetensors: tensor '" + name + "' data_offsets must be [begin, end] integers");
            }
            long begin = off.get(0).longValue();
            long end = off.get(1).longValue();
            if (begin < 0 || end < begin) {
                throw new FormatException("safetensors: tensor '" + name + "' has invalid data_offsets [" + begin + ", " + end + "]");
            }
            if (end > bufferLen) {
                throw new FormatException("safetensors: tensor '" + name + "' data_offsets [" + begin + ", " + end
                        + "] run past the " + bufferLen + "-byte buffer (truncated or out of range)");
            }
            long expected;
            try {
                expected = Math.multiplyExact(Tensor.numel(shape), dtype.size);
            } catch (ArithmeticException | IllegalArgumentException e) {
                throw new FormatException("safetensors: tensor '" + name + "' shape " + Arrays.toString(shape) + " is too large");
            }
            if (end - begin != expected) {
                throw new FormatException("safetensors: tensor '" + name + "' " + dtype + Arrays.toString(shape) + " needs "
                        + expected + " bytes but data_offsets span " + (end - begin));
            }
            raws.add(new Raw(name, dtype, shape, begin, end));
        }
        raws.sort(Comparator.comparingLong(Raw::begin).thenComparingLong(Raw::end));
        long pos = 0;
        for (Raw r : raws) {
            if (r.begin() < pos) {
                throw new FormatException("safetensors: tensor '" + r.name() + "' data_offsets [" + r.begin() + ", " + r.end()
                        + "] overlap the previous tensor (ends at " + pos + ")");
            }
            if (r.begin() > pos) {
                throw new FormatException("safetensors: hole in the buffer before tensor '" + r.name() + "' (bytes " + pos
                        + ".." + r.begin() + ")");
            }
            pos = r.end();
        }
        if (pos != bufferLen) {
            throw new FormatException("safetensors: buffer has " + bufferLen + " bytes but tensors cover " + pos);
        }
        Map<String, Entry> tensors = new LinkedHashMap<>();
        for (Raw r : raws) {
            byte[] data = Arrays.copyOfRange(bytes, (int) (bufferStart + r.begin()), (int) (bufferStart + r.end()));
            tensors.put(r.name(), new Entry(r.name(), r.dtype(), r.shape(), data));
        }
        return new Contents(metadata, tensors);
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> s = new java.util.HashSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
