package dev.vbank.text.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX ModelProto that weight conversion needs: the graph's initializers and its nodes.
 * Field numbers follow onnx.proto3 (ModelProto.graph = 7; GraphProto.node = 1, initializer = 5;
 * NodeProto.input = 1, output = 2, name = 3, op_type = 4; TensorProto.dims = 1, data_type = 2,
 * float_data = 4, int64_data = 7, name = 8, raw_data = 9, data_location = 14).
 */
public final class OnnxModel {
    /** ONNX TensorProto.DataType values used here. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;

    /** A graph initializer; {@code data} is a little-endian view of its values (raw_data or packed float_data). */
    public record Initializer(String name, long[] dims, int dataType, ByteBuffer data) {
        public long elementCount() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        /** Values as floats, in ONNX (row-major) order. */
        public float[] floats() {
            if (dataType != FLOAT) {
                throw new OnnxFormatException("initializer " + name + " has data_type " + dataType + ", not FLOAT");
            }
            long n = elementCount();
            if (data.remaining() != n * 4) {
                throw new OnnxFormatException("initializer " + name + " holds " + data.remaining()
                        + " bytes, dims " + java.util.Arrays.toString(dims) + " need " + n * 4);
            }
            float[] out = new float[(int) n];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    public record Node(String name, String opType, List<String> inputs, List<String> outputs) {}

    private final String producer;
    private final Map<String, Initializer> initializers;
    private final List<Node> nodes;

    private OnnxModel(String producer, Map<String, Initializer> initializers, List<Node> nodes) {
        this.producer = producer;
        this.initializers = Collections.unmodifiableMap(initializers);
        this.nodes = List.copyOf(nodes);
    }

    public static OnnxModel read(InputStream in, String source) throws IOException {
        return parse(ByteBuffer.wrap(in.readAllBytes()), source);
    }

    public static OnnxModel parse(ByteBuffer bytes, String source) {
        ProtoReader model = new ProtoReader(bytes, source + " ModelProto");
        String producer = "";
        ByteBuffer graph = null;
        while (model.next()) {
            switch (model.fieldNumber()) {
                case 2 -> producer = model.string();
                case 7 -> graph = model.bytes();
                default -> model.skip();
            }
        }
        if (graph == null) {
            throw new OnnxFormatException(source + ": ModelProto has no graph (field 7)");
        }
        Map<String, Initializer> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        ProtoReader g = new ProtoReader(graph, source + " GraphProto");
        while (g.next()) {
            switch (g.fieldNumber()) {
                case 1 -> nodes.add(parseNode(g.bytes(), source));
                case 5 -> {
                    Initializer t = parseTensor(g.bytes(), source);
                    if (inits.put(t.name(), t) != null) {
                        throw new OnnxFormatException(source + ": duplicate initializer " + t.name());
                    }
                }
                default -> g.skip();
            }
        }
        return new OnnxModel(producer, inits, nodes);
    }

    private static Node parseNode(ByteBuffer b, String source) {
        ProtoReader r = new ProtoReader(b, source + " NodeProto");
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        while (r.next()) {
            switch (r.fieldNumber()) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                default -> r.skip();
            }
        }
        return new Node(name, op, in, out);
    }

    private static Initializer parseTensor(ByteBuffer b, String source) {
        ProtoReader r = new ProtoReader(b, source + " TensorProto");
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = null;
        ByteBuffer raw = null;
        ByteBuffer packedFloats = null;
        long dataLocation = 0;
        while (r.next()) {
            switch (r.fieldNumber()) {
                case 1 -> r.repeatedVarint(dims);
                case 2 -> dataType = (int) r.varint();
                case 4 -> {
                    if (r.wireType() != ProtoReader.LEN) {
                        throw new OnnxFormatException(source + ": unpacked float_data is not supported (tensor " + name + ")");
                    }
                    packedFloats = r.bytes();
                }
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 14 -> dataLocation = r.varint();
                default -> r.skip();
            }
        }
        if (name == null) {
            throw new OnnxFormatException(source + ": initializer without a name");
        }
        if (dataLocation != 0) {
            throw new OnnxFormatException(source + ": initializer " + name + " uses external data, which is not supported");
        }
        ByteBuffer data = raw != null ? raw : packedFloats != null ? packedFloats : ByteBuffer.allocate(0);
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        return new Initializer(name, d, dataType, data.order(ByteOrder.LITTLE_ENDIAN));
    }

    public String producer() {
        return producer;
    }

    /** Initializers by name, in file order. */
    public Map<String, Initializer> initializers() {
        return initializers;
    }

    public List<Node> nodes() {
        return nodes;
    }
}
