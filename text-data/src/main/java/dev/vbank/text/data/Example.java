package dev.vbank.text.data;

/**
 * One row as read: first text, optional second text (null for single-text rows), the label as written (JSON numbers
 * in canonical form, e.g. {@code 1} for 1.0), and the line where the row starts.
 */
public record Example(String textA, String textB, String label, long line) {}
