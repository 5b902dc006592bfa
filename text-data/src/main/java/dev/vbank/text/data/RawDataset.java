package dev.vbank.text.data;

import java.util.List;

/** A file's rows, all valid and of one schema: single texts ({@code text}) or pairs ({@code text_a}, {@code text_b}). */
public record RawDataset(String source, boolean pairs, List<Example> examples) {
    public RawDataset {
        examples = List.copyOf(examples);
    }

    public int size() {
        return examples.size();
    }
}
