package dev.vbank.text.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TextTokenizerTest {
    static List<BaseModel> models() {
        return BaseModels.all();
    }

    private static JsonNode vocab(BaseModel m) throws Exception {
        try (InputStream in = TextTokenizerTest.class.getClassLoader().getResourceAsStream(m.tokenizerResource())) {
            return new ObjectMapper().readTree(in).path("model").path("vocab");
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void encodesKnownSentenceWithUncasedBertIds(BaseModel m) throws Exception {
        JsonNode vocab = vocab(m);
        try (TextTokenizer tok = TextTokenizer.forModel(m, 128)) {
            Encoding e = tok.encode("Hello World");

            // ids checked against the vocab shipped in the same jar: [CLS]=101, hello=7592, world=2088, [SEP]=102
            assertThat(vocab.path("[CLS]").asLong()).isEqualTo(101);
            assertThat(vocab.path("[SEP]").asLong()).isEqualTo(102);
            assertThat(vocab.path("hello").asLong()).isEqualTo(7592);
            assertThat(vocab.path("world").asLong()).isEqualTo(2088);
            assertThat(e.inputIds()).containsExactly(101, 7592, 2088, 102);
            assertThat(e.tokens()).containsExactly("[CLS]", "hello", "world", "[SEP]");
            assertThat(e.attentionMask()).containsExactly(1, 1, 1, 1);
            assertThat(e.tokenTypeIds()).containsExactly(0, 0, 0, 0);
            assertThat(e.truncated()).isFalse();
            assertThat(tok.padId()).isEqualTo(vocab.path("[PAD]").asLong()).isZero();
        }
    }

    @Test
    void wordPieceSplitsUnknownWordsIntoVocabPieces() throws Exception {
        BaseModel m = BaseModels.ALL_MINILM_L6_V2;
        JsonNode vocab = vocab(m);
        try (TextTokenizer tok = TextTokenizer.forModel(m, 128)) {
            Encoding e = tok.encode("unaffable");
            assertThat(e.tokens()[0]).isEqualTo("[CLS]");
            assertThat(e.length()).isGreaterThan(3);
            for (int i = 1; i < e.length() - 1; i++) {
                assertThat(vocab.path(e.tokens()[i]).asLong(-1)).as(e.tokens()[i]).isEqualTo(e.inputIds()[i]);
            }
            assertThat(String.join("", e.tokens()).replace("##", "")).contains("unaffable");
        }
    }

    @Test
    void pairsGetSegmentIdsAndLongestFirstTruncation() {
        try (TextTokenizer tok = TextTokenizer.forModel(BaseModels.BGE_SMALL_EN_V15, 12)) {
            Encoding e = tok.encodePair("good film", "bad plot");
            assertThat(e.tokens()).containsExactly("[CLS]", "good", "film", "[SEP]", "bad", "plot", "[SEP]");
            assertThat(e.tokenTypeIds()).containsExactly(0, 0, 0, 0, 1, 1, 1);

            Encoding t = tok.encodePair("one two three four five six seven eight", "red blue");
            assertThat(t.length()).isEqualTo(12);
            assertThat(t.truncated()).isTrue();
            // longest-first trims the long first text and keeps the short second one whole
            assertThat(t.tokens()).endsWith("[SEP]", "red", "blue", "[SEP]");
        }
    }

    @Test
    void singleTextsAreTruncatedToMaxLengthEndingWithSep() {
        // MiniLM's tokenizer.json pads to a fixed 128; single encodings must come back unpadded
        try (TextTokenizer tok = TextTokenizer.forModel(BaseModels.ALL_MINILM_L6_V2, 16)) {
            assertThat(tok.encode("short").length()).isEqualTo(3);
            Encoding e = tok.encode("word ".repeat(100));
            assertThat(e.length()).isEqualTo(16);
            assertThat(e.inputIds()[15]).isEqualTo(102);
            assertThat(e.truncated()).isTrue();
        }
    }

    @Test
    void batchesPadToLongestOrToMaxLength() {
        try (TextTokenizer tok = TextTokenizer.forModel(BaseModels.E5_SMALL_V2, 10)) {
            Batch b = tok.encodeBatch(List.of("a b c d", "a"), Padding.LONGEST);
            assertThat(b.size()).isEqualTo(2);
            assertThat(b.length()).isEqualTo(6);
            assertThat(b.inputIds2d()[1]).containsExactly(101, tok.encode("a").inputIds()[1], 102, 0, 0, 0);
            assertThat(b.attentionMask2d()[1]).containsExactly(1, 1, 1, 0, 0, 0);
            assertThat(b.attentionMask2d()[0]).containsOnly(1);
            assertThat(b.attentionMaskInt()).hasSize(12);

            Batch fixed = tok.encodePairBatch(List.of("a", "b c"), java.util.Arrays.asList("x", null), Padding.MAX_LENGTH);
            assertThat(fixed.length()).isEqualTo(10);
            assertThat(fixed.tokenTypeIds2d()[0]).containsExactly(0, 0, 0, 1, 1, 0, 0, 0, 0, 0);
            assertThat(fixed.tokenTypeIds2d()[1]).containsOnly(0);
            assertThat(fixed.mask(1, 3)).isEqualTo(1);
            assertThat(fixed.mask(1, 4)).isZero();
        }
    }

    @Test
    void rejectsLengthsBeyondThePositionTable() {
        assertThatThrownBy(() -> TextTokenizer.forModel(BaseModels.ALL_MINILM_L6_V2, 513))
                .hasMessageContaining("513").hasMessageContaining("512");
    }
}
