package dev.vbank.text.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The native weight file: the safetensors layout (8-byte little-endian header length, JSON header, little-endian
 * payload) so that Python tools can open it too, holding F32 tensors only, with the payload's sha256 in
 * {@code __metadata__.payload_sha256}. Reading verifies the checksum and every offset before returning anything.
 */
public final class WeightFile {
    public static final String FORMAT = "vbank-weights";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 16L << 20;

    /** A loaded file: tensors in file order and the header metadata. */
    public record Contents(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
        public String payloadSha256() {
            return metadata.get("payload_sha256");
        }
    }

    private WeightFile() {}

    /** Writes the tensors (in map order) and returns the payload sha256. Extra metadata entries are kept as strings. */
    public static String write(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata) throws IOException {
        MessageDigest sha = sha256();
        long offset = 0;
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        for (FloatTensor t : tensors.values()) {
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", "F32");
            ArrayNode shape = e.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            long len = 4L * t.data().length;
            e.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
            sha.update(littleEndian(t.data()));
        }
        String digest = HexFormat.of().formatHex(sha.digest());
        meta.put("format", FORMAT);
        meta.put("version", "1");
        metadata.forEach(meta::put);
        meta.put("payload_sha256", digest);

        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            for (FloatTensor t : tensors.values()) {
                out.write(littleEndian(t.data()).array());
            }
        }
        return digest;
    }

    /** Reads and verifies a file; {@code expectedSha256} (nullable) must equal the payload's sha256 when given. */
    public static Contents read(Path file, String expectedSha256) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw corrupt(file, "only " + size + " bytes");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw corrupt(file, "header length " + headerLen + " is out of range for a " + size + "-byte file");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw corrupt(file, "header is not JSON: " + e.getMessage());
            }
            if (header == null || !header.isObject()) {
                throw corrupt(file, "header is not a JSON object");
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            JsonNode meta = header.path("__metadata__");
            meta.fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
            if (!FORMAT.equals(metadata.get("format"))) {
                throw corrupt(file, "__metadata__.format is " + metadata.get("format") + ", expected " + FORMAT);
            }
            String recorded = metadata.get("payload_sha256");
            if (recorded == null) {
                throw corrupt(file, "__metadata__.payload_sha256 is missing");
            }
            if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(recorded)) {
                throw corrupt(file, "header records payload sha256 " + recorded + ", expected " + expectedSha256);
            }

            long payloadStart = 8 + headerLen;
            long payloadLen = size - payloadStart;
            if (payloadLen > Integer.MAX_VALUE - 8) {
                throw corrupt(file, "payload of " + payloadLen + " bytes is larger than one buffer");
            }
            ByteBuffer payload = ByteBuffer.allocate((int) payloadLen).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, payload, payloadStart);
            payload.flip();
            MessageDigest sha = sha256();
            sha.update(payload.duplicate());
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equalsIgnoreCase(recorded)) {
                throw corrupt(file, "payload sha256 is " + actual + " but the header records " + recorded);
            }

            Map<String, FloatTensor> tensors = new LinkedHashMap<>();
            long expectedOffset = 0;
            Iterator<Map.Entry<String, JsonNode>> it = header.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                if (name.equals("__metadata__")) {
                    continue;
                }
                JsonNode t = e.getValue();
                if (!"F32".equals(t.path("dtype").asText())) {
                    throw corrupt(file, "tensor " + name + " has dtype " + t.path("dtype") + ", only F32 is supported");
                }
                JsonNode shapeNode = t.path("shape");
                JsonNode offs = t.path("data_offsets");
                if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
                    throw corrupt(file, "tensor " + name + " lacks shape or data_offsets [begin, end]");
                }
                int[] shape = new int[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asInt(-1);
                }
                long begin = offs.get(0).asLong(-1);
                long end = offs.get(1).asLong(-1);
                long n = FloatTensor.elementCount(shape);
                if (begin != expectedOffset || end - begin != 4 * n || end > payloadLen) {
                    throw corrupt(file, "tensor " + name + " data_offsets [" + begin + ", " + end + "] do not fit shape "
                            + Arrays.toString(shape) + " at payload offset " + expectedOffset + " of " + payloadLen);
                }
                float[] data = new float[(int) n];
                payload.slice((int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
                tensors.put(name, new FloatTensor(name, shape, data));
                expectedOffset = end;
            }
            if (expectedOffset != payloadLen) {
                throw corrupt(file, "tensors cover " + expectedOffset + " payload bytes but the file holds " + payloadLen);
            }
            return new Contents(tensors, metadata);
        }
    }

    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static ByteBuffer littleEndian(float[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return b;
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static WeightFileException corrupt(Path file, String msg) {
        return new WeightFileException(file + ": " + msg);
    }
}
