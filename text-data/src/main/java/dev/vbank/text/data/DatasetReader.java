package dev.vbank.text.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads a training or validation file: JSONL with {@code text}+{@code label} or {@code text_a}+{@code text_b}+{@code label}
 * per line, or CSV (RFC 4180) with a header naming the same columns. Extra fields are ignored. Every row is checked;
 * the file is either returned whole or rejected with the first errors and their line numbers.
 */
public final class DatasetReader {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private DatasetReader() {}

    public static RawDataset read(Path file) {
        return read(file, DataFormat.of(file), DatasetLimits.DEFAULT);
    }

    public static RawDataset read(Path file, DataFormat format, DatasetLimits limits) {
        String source = file.getFileName().toString();
        try {
            long size = Files.size(file);
            if (size > limits.maxBytes()) {
                throw new DatasetException(new RowError(source, 0,
                        "file is " + size + " bytes, the limit is " + limits.maxBytes()));
            }
            try (InputStream in = Files.newInputStream(file)) {
                return read(in, source, format, limits);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * Reads a stream (an upload, an object store body) named {@code source} in messages; stops with an error as soon
     * as more than {@code maxBytes} arrive, so a huge body is never read to the end. The caller closes the stream.
     */
    public static RawDataset read(InputStream stream, String source, DataFormat format, DatasetLimits limits)
            throws IOException {
        LimitedInputStream limited = new LimitedInputStream(stream, limits.maxBytes());
        BufferedReader in = new BufferedReader(new InputStreamReader(limited, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)));
        try {
            return format == DataFormat.JSONL ? readJsonl(in, source, limits) : readCsv(in, source, limits);
        } catch (DatasetException e) {
            if (limited.exceeded) {
                throw tooLarge(source, limits);
            }
            throw e;
        } catch (LimitExceeded | UncheckedIOException e) {
            if (limited.exceeded) {
                throw tooLarge(source, limits);
            }
            throw e;
        }
    }

    private static DatasetException tooLarge(String source, DatasetLimits limits) {
        return new DatasetException(new RowError(source, 0, "more than " + limits.maxBytes()
                + " bytes, the limit is " + limits.maxBytes()));
    }

    private static final class LimitExceeded extends IOException {
        LimitExceeded() {
            super("byte limit exceeded");
        }
    }

    /** Fails (rather than truncating, as a bounded stream would) once more than {@code max} bytes were read. */
    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private final long max;
        private long count;
        boolean exceeded;

        LimitedInputStream(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                add(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                add(n);
            }
            return n;
        }

        private void add(long n) throws LimitExceeded {
            count += n;
            if (count > max) {
                exceeded = true;
                throw new LimitExceeded();
            }
        }

        @Override
        public void close() {
            // the caller owns the underlying stream
        }
    }

    private static RawDataset readJsonl(BufferedReader in, String source, DatasetLimits limits) throws IOException {
        ErrorCollector errors = new ErrorCollector(source, limits.maxErrors());
        List<Example> out = new ArrayList<>();
        Boolean pairs = null;
        long lineNo = 0;
        long rows = 0;
        while (true) {
            String line;
            try {
                line = in.readLine();
            } catch (CharacterCodingException e) {
                errors.add(lineNo + 1, "not valid UTF-8");
                break;
            }
            if (line == null) {
                break;
            }
            lineNo++;
            if (lineNo == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.isBlank()) {
                continue;
            }
            if (++rows > limits.maxRows()) {
                errors.add(lineNo, "more than " + limits.maxRows() + " rows");
                break;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                errors.add(lineNo, "not a JSON object: " + e.getOriginalMessage());
                continue;
            }
            if (node == null || !node.isObject()) {
                errors.add(lineNo, "not a JSON object");
                continue;
            }
            boolean rowPairs = node.has("text_a") || node.has("text_b");
            if (!rowPairs && !node.has("text")) {
                errors.add(lineNo, "missing field 'text' (or 'text_a' and 'text_b')");
                continue;
            }
            if (pairs == null) {
                pairs = rowPairs;
            } else if (pairs != rowPairs) {
                errors.add(lineNo, "row uses " + (rowPairs ? "text_a/text_b" : "text")
                        + " but earlier rows use " + (pairs ? "text_a/text_b" : "text"));
                continue;
            }
            long before = errorCount(errors);
            String a = jsonText(node, rowPairs ? "text_a" : "text", lineNo, errors, limits);
            String b = rowPairs ? jsonText(node, "text_b", lineNo, errors, limits) : null;
            String label = jsonLabel(node.get("label"), lineNo, errors);
            if (errorCount(errors) == before) {
                out.add(new Example(a, b, label, lineNo));
            }
        }
        errors.throwIfAny();
        return finish(source, pairs, out);
    }

    private static RawDataset readCsv(Reader in, String source, DatasetLimits limits) throws IOException {
        ErrorCollector errors = new ErrorCollector(source, limits.maxErrors());
        List<Example> out = new ArrayList<>();
        CSVFormat format = CSVFormat.RFC4180.builder()
                .setHeader().setSkipHeaderRecord(true)
                .setAllowMissingColumnNames(false)
                .setDuplicateHeaderMode(org.apache.commons.csv.DuplicateHeaderMode.DISALLOW)
                .get();
        CSVParser parser;
        try {
            parser = CSVParser.parse(in, format);
        } catch (IllegalArgumentException | IOException | UncheckedIOException e) {
            throw new DatasetException(new RowError(source, 1, "bad CSV header: " + e.getMessage()));
        }
        try (parser) {
            Map<String, Integer> header = parser.getHeaderMap();
            String firstCol = header.keySet().stream().findFirst().orElse("");
            if (firstCol.startsWith("\uFEFF")) {
                throw new DatasetException(new RowError(source, 1, "header starts with a byte-order mark; save as UTF-8 without BOM"));
            }
            boolean pairs = header.containsKey("text_a") || header.containsKey("text_b");
            List<String> needed = pairs ? List.of("text_a", "text_b", "label") : List.of("text", "label");
            List<String> missing = needed.stream().filter(c -> !header.containsKey(c)).toList();
            if (!missing.isEmpty()) {
                throw new DatasetException(new RowError(source, 1,
                        "header " + header.keySet() + " lacks column(s) " + missing));
            }
            Iterator<CSVRecord> it = parser.iterator();
            long rows = 0;
            while (true) {
                long line = parser.getCurrentLineNumber() + 1;
                CSVRecord r;
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    r = it.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof CharacterCodingException) {
                        errors.add(line, "not valid UTF-8");
                    } else {
                        errors.add(line, "malformed CSV: " + cause.getMessage());
                    }
                    break; // the parser cannot resynchronise after broken quoting
                }
                if (r.size() == 1 && r.get(0).isEmpty()) {
                    continue; // blank line
                }
                if (++rows > limits.maxRows()) {
                    errors.add(line, "more than " + limits.maxRows() + " rows");
                    break;
                }
                if (!r.isConsistent()) {
                    errors.add(line, "has " + r.size() + " fields, the header has " + header.size());
                    continue;
                }
                long before = errorCount(errors);
                String a = csvText(r.get(pairs ? "text_a" : "text"), pairs ? "text_a" : "text", line, errors, limits);
                String b = pairs ? csvText(r.get("text_b"), "text_b", line, errors, limits) : null;
                String label = canonicalNumber(r.get("label").strip());
                if (label.isEmpty()) {
                    errors.add(line, "field 'label' is empty");
                }
                if (errorCount(errors) == before) {
                    out.add(new Example(a, b, label, line));
                }
            }
            errors.throwIfAny();
            return finish(source, pairs, out);
        }
    }

    private static RawDataset finish(String source, Boolean pairs, List<Example> out) {
        if (out.isEmpty()) {
            throw new DatasetException(new RowError(source, 0, "no rows"));
        }
        return new RawDataset(source, pairs != null && pairs, out);
    }

    private static String jsonText(JsonNode row, String field, long line, ErrorCollector errors, DatasetLimits limits) {
        JsonNode v = row.get(field);
        if (v == null || v.isNull()) {
            errors.add(line, "missing field '" + field + "'");
            return null;
        }
        if (!v.isTextual()) {
            errors.add(line, "field '" + field + "' must be a string, found " + v.getNodeType().name().toLowerCase());
            return null;
        }
        return checkText(v.asText(), field, line, errors, limits);
    }

    private static String csvText(String v, String field, long line, ErrorCollector errors, DatasetLimits limits) {
        return checkText(v, field, line, errors, limits);
    }

    private static String checkText(String s, String field, long line, ErrorCollector errors, DatasetLimits limits) {
        if (s.isBlank()) {
            errors.add(line, "field '" + field + "' is empty");
            return null;
        }
        if (s.length() > limits.maxTextChars()) {
            errors.add(line, "field '" + field + "' has " + s.length() + " characters, the limit is " + limits.maxTextChars());
            return null;
        }
        return s;
    }

    private static String jsonLabel(JsonNode v, long line, ErrorCollector errors) {
        if (v == null || v.isNull()) {
            errors.add(line, "missing field 'label'");
            return null;
        }
        if (v.isTextual()) {
            String s = v.asText().strip();
            if (s.isEmpty()) {
                errors.add(line, "field 'label' is empty");
                return null;
            }
            return s;
        }
        if (v.isIntegralNumber()) {
            return v.bigIntegerValue().toString();
        }
        if (v.isNumber()) {
            return canonicalNumber(v.decimalValue().toPlainString());
        }
        if (v.isBoolean()) {
            return Boolean.toString(v.booleanValue());
        }
        errors.add(line, "field 'label' must be a string, number or boolean, found " + v.getNodeType().name().toLowerCase());
        return null;
    }

    /** "1.0" and "1" name the same class; non-numbers are returned as they are. */
    static String canonicalNumber(String s) {
        if (s.isEmpty() || !(Character.isDigit(s.charAt(s.length() - 1)) || s.endsWith("."))) {
            return s;
        }
        try {
            java.math.BigDecimal d = new java.math.BigDecimal(s).stripTrailingZeros();
            return d.scale() <= 0 ? d.toBigIntegerExact().toString() : d.toPlainString();
        } catch (NumberFormatException | ArithmeticException e) {
            return s;
        }
    }

    private static long errorCount(ErrorCollector errors) {
        return errors.total();
    }
}
