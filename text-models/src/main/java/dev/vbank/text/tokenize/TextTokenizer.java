package dev.vbank.text.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.vbank.text.model.BaseModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * A model's WordPiece tokenizer (Hugging Face tokenizers through DJL, from the tokenizer.json shipped in the model jar)
 * with truncation to a maximum length (longest-first for pairs) and padding done here, per batch.
 *
 * <p>The tokenizer.json files may carry their own padding (MiniLM's pads every text to 128); it is switched off so
 * that single encodings are unpadded and batches pad as asked.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final long padId;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, long padId) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.padId = padId;
    }

    /** The tokenizer of a registered base model; {@code maxLength} may not exceed its position table. */
    public static TextTokenizer forModel(BaseModel model, int maxLength) {
        if (maxLength > model.maxPositions()) {
            throw new IllegalArgumentException("maxLength " + maxLength + " exceeds the " + model.maxPositions()
                    + " positions of " + model.id());
        }
        InputStream in = TextTokenizer.class.getClassLoader().getResourceAsStream(model.tokenizerResource());
        if (in == null) {
            throw new UncheckedIOException(new IOException("classpath resource " + model.tokenizerResource() + " of "
                    + model.id() + " not found; add " + model.maven() + " to the classpath"));
        }
        try (in) {
            return fromJson(in, maxLength);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer of " + model.id(), e);
        }
    }

    /** A tokenizer from a tokenizer.json stream. */
    public static TextTokenizer fromJson(InputStream tokenizerJson, int maxLength) throws IOException {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must leave room for [CLS] and [SEP], got " + maxLength);
        }
        HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                "truncation", "true",
                "padding", "false",
                "maxLength", Integer.toString(maxLength),
                "addSpecialTokens", "true"));
        long[] pad = tok.encode("[PAD]", false, false).getIds();
        if (pad.length != 1) {
            tok.close();
            throw new IllegalArgumentException("tokenizer has no single [PAD] token");
        }
        return new TextTokenizer(tok, maxLength, pad[0]);
    }

    public int maxLength() {
        return maxLength;
    }

    public long padId() {
        return padId;
    }

    public Encoding encode(String text) {
        return wrap(tokenizer.encode(requireText(text, "text")));
    }

    public Encoding encodePair(String textA, String textB) {
        return wrap(tokenizer.encode(requireText(textA, "text_a"), requireText(textB, "text_b")));
    }

    public Batch encodeBatch(List<String> texts, Padding padding) {
        Encoding[] encs = new Encoding[texts.size()];
        for (int i = 0; i < encs.length; i++) {
            encs[i] = encode(texts.get(i));
        }
        return pad(encs, padding);
    }

    /** Pairs: {@code textsB.get(i)} goes with {@code textsA.get(i)}; a null second text encodes the first alone. */
    public Batch encodePairBatch(List<String> textsA, List<String> textsB, Padding padding) {
        if (textsA.size() != textsB.size()) {
            throw new IllegalArgumentException(textsA.size() + " first texts but " + textsB.size() + " second texts");
        }
        Encoding[] encs = new Encoding[textsA.size()];
        for (int i = 0; i < encs.length; i++) {
            encs[i] = textsB.get(i) == null ? encode(textsA.get(i)) : encodePair(textsA.get(i), textsB.get(i));
        }
        return pad(encs, padding);
    }

    /** Pads already encoded texts into one batch. */
    public Batch pad(Encoding[] encs, Padding padding) {
        int len = 0;
        if (padding == Padding.MAX_LENGTH) {
            len = maxLength;
        } else {
            for (Encoding e : encs) {
                len = Math.max(len, e.length());
            }
        }
        int n = encs.length;
        long[] ids = new long[n * len];
        long[] mask = new long[n * len];
        long[] types = new long[n * len];
        java.util.Arrays.fill(ids, padId);
        for (int r = 0; r < n; r++) {
            Encoding e = encs[r];
            if (e.length() > len) {
                throw new IllegalArgumentException("row " + r + " has " + e.length() + " tokens, more than " + len);
            }
            System.arraycopy(e.inputIds(), 0, ids, r * len, e.length());
            System.arraycopy(e.attentionMask(), 0, mask, r * len, e.length());
            System.arraycopy(e.tokenTypeIds(), 0, types, r * len, e.length());
        }
        return new Batch(n, len, ids, mask, types);
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    private static String requireText(String s, String what) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        return s;
    }

    private static Encoding wrap(ai.djl.huggingface.tokenizers.Encoding e) {
        return new Encoding(e.getIds(), e.getAttentionMask(), e.getTypeIds(), e.getTokens(), e.exceedMaxLength());
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
