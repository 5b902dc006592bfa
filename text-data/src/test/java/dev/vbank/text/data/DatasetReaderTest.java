package dev.vbank.text.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReaderTest {
    @TempDir
    Path dir;

    private Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void readsSingleTextJsonlSkippingBlankLinesAndKeepingLineNumbers() throws Exception {
        RawDataset d = DatasetReader.read(file("t.jsonl", """
                {"text": "great film", "label": "pos"}

                {"text": "dull", "label": "neg", "id": 7}
                {"text": "ok", "label": 1.0}
                """));
        assertThat(d.pairs()).isFalse();
        assertThat(d.examples()).extracting(Example::textA).containsExactly("great film", "dull", "ok");
        assertThat(d.examples()).extracting(Example::line).containsExactly(1L, 3L, 4L);
        assertThat(d.examples()).extracting(Example::label).containsExactly("pos", "neg", "1");
        assertThat(d.examples().get(0).textB()).isNull();
    }

    @Test
    void readsPairsFromJsonlAndCsv() throws Exception {
        RawDataset j = DatasetReader.read(file("p.jsonl", """
                {"text_a": "A man sleeps.", "text_b": "A person rests.", "label": 4.5}
                """));
        assertThat(j.pairs()).isTrue();
        assertThat(j.examples().get(0)).isEqualTo(new Example("A man sleeps.", "A person rests.", "4.5", 1));

        RawDataset c = DatasetReader.read(file("p.csv", "label,text_a,text_b\r\n"
                + "1,\"He said \"\"hi\"\", then left\",\"multi\nline\"\r\n"
                + "0.0,plain,text\r\n"));
        assertThat(c.pairs()).isTrue();
        assertThat(c.examples().get(0).textA()).isEqualTo("He said \"hi\", then left");
        assertThat(c.examples().get(0).textB()).isEqualTo("multi\nline");
        assertThat(c.examples().get(1).label()).isEqualTo("0");
        assertThat(c.examples()).extracting(Example::line).containsExactly(2L, 4L);
    }

    @Test
    void jsonlErrorsAreCollectedWithLineNumbersAndNothingIsReturned() throws Exception {
        Path p = file("bad.jsonl", """
                {"text": "fine", "label": 0}
                {"text": "no label"}
                not json
                {"text": "", "label": 1}
                {"text": 5, "label": 1}
                {"text_a": "x", "text_b": "y", "label": 1}
                {"text": "fine again", "label": [1]}
                """);
        assertThatThrownBy(() -> DatasetReader.read(p))
                .isInstanceOfSatisfying(DatasetException.class, e -> {
                    assertThat(e.totalErrors()).isEqualTo(6);
                    assertThat(e.errors()).extracting(RowError::line).containsExactly(2L, 3L, 4L, 5L, 6L, 7L);
                    assertThat(e.errors().get(0).message()).contains("'label'");
                    assertThat(e.errors().get(1).message()).contains("not a JSON object");
                    assertThat(e.errors().get(2).message()).contains("'text' is empty");
                    assertThat(e.errors().get(3).message()).contains("must be a string");
                    assertThat(e.errors().get(4).message()).contains("earlier rows use text");
                    assertThat(e.getMessage()).contains("bad.jsonl:2:").contains("bad.jsonl:7:");
                });
    }

    @Test
    void listsOnlyTheFirstErrorsButCountsAll() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            sb.append("{\"text\": \"t\"}\n");
        }
        Path p = file("many.jsonl", sb.toString());
        assertThatThrownBy(() -> DatasetReader.read(p, DataFormat.JSONL, new DatasetLimits(100, 1 << 20, 100, 5)))
                .isInstanceOfSatisfying(DatasetException.class, e -> {
                    assertThat(e.totalErrors()).isEqualTo(30);
                    assertThat(e.errors()).hasSize(5);
                    assertThat(e.getMessage()).startsWith("30 errors (first 5 shown)");
                });
    }

    @Test
    void enforcesRowByteAndTextLimits() throws Exception {
        Path p = file("l.jsonl", """
                {"text": "aaaa", "label": 0}
                {"text": "aaaaaaaaaaaa", "label": 1}
                {"text": "b", "label": 1}
                """);
        assertThatThrownBy(() -> DatasetReader.read(p, DataFormat.JSONL, new DatasetLimits(2, 1 << 20, 100, 5)))
                .isInstanceOfSatisfying(DatasetException.class,
                        e -> assertThat(e.errors()).singleElement().satisfies(r -> {
                            assertThat(r.line()).isEqualTo(3);
                            assertThat(r.message()).contains("more than 2 rows");
                        }));
        assertThatThrownBy(() -> DatasetReader.read(p, DataFormat.JSONL, new DatasetLimits(10, 1 << 20, 10, 5)))
                .isInstanceOfSatisfying(DatasetException.class,
                        e -> assertThat(e.errors()).singleElement().satisfies(r -> {
                            assertThat(r.line()).isEqualTo(2);
                            assertThat(r.message()).contains("12 characters");
                        }));
        assertThatThrownBy(() -> DatasetReader.read(p, DataFormat.JSONL, new DatasetLimits(10, 20, 100, 5)))
                .hasMessageContaining("the limit is 20");
    }

    @Test
    void csvErrorsCarryTheLineWhereTheRecordStarts() throws Exception {
        Path p = file("bad.csv", "text,label\n"
                + "good,1\n"
                + "\"spans\ntwo lines\",\n"
                + "too,many,fields\n"
                + ",0\n");
        assertThatThrownBy(() -> DatasetReader.read(p))
                .isInstanceOfSatisfying(DatasetException.class, e -> {
                    assertThat(e.errors()).extracting(RowError::line).containsExactly(3L, 5L, 6L);
                    assertThat(e.errors().get(0).message()).contains("'label' is empty");
                    assertThat(e.errors().get(1).message()).contains("3 fields, the header has 2");
                    assertThat(e.errors().get(2).message()).contains("'text' is empty");
                });

        Path header = file("h.csv", "sentence,label\nx,1\n");
        assertThatThrownBy(() -> DatasetReader.read(header)).hasMessageContaining("h.csv:1:").hasMessageContaining("[text]");

        Path quote = file("q.csv", "text,label\nok,1\n\"never closed,1\nx,0\n");
        assertThatThrownBy(() -> DatasetReader.read(quote))
                .isInstanceOfSatisfying(DatasetException.class, e -> {
                    assertThat(e.errors()).singleElement().satisfies(r -> {
                        assertThat(r.line()).isEqualTo(3);
                        assertThat(r.message()).contains("malformed CSV");
                    });
                });
    }

    @Test
    void rejectsInvalidUtf8AndEmptyFiles() throws Exception {
        Path p = dir.resolve("latin1.jsonl");
        Files.write(p, "{\"text\": \"ok\", \"label\": 1}\n{\"text\": \"caf\u00e9\", \"label\": 0}\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> DatasetReader.read(p)).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> DatasetReader.read(file("empty.jsonl", "\n\n"))).hasMessageContaining("no rows");
    }

    @Test
    void streamsAreCutOffAtTheByteLimitInsteadOfBeingReadToTheEnd() throws Exception {
        String jsonl = "{\"text\": \"first row\", \"label\": 0}\n".repeat(100); // 35 bytes a line
        String csv = "text,label\n" + "\"first row\",0\n".repeat(100);
        DatasetLimits small = new DatasetLimits(1000, 200, 100, 5);
        for (var c : java.util.List.of(java.util.Map.entry(DataFormat.JSONL, jsonl), java.util.Map.entry(DataFormat.CSV, csv))) {
            byte[] bytes = c.getValue().getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> DatasetReader.read(new java.io.ByteArrayInputStream(bytes), "upload", c.getKey(), small))
                    .isInstanceOf(DatasetException.class).hasMessageContaining("more than 200 bytes");
            RawDataset ok = DatasetReader.read(new java.io.ByteArrayInputStream(bytes), "upload", c.getKey(),
                    new DatasetLimits(1000, bytes.length, 100, 5));
            assertThat(ok.size()).isEqualTo(100);
        }
    }
}
