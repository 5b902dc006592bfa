package dev.vbank.text.data;

public enum TaskType {
    /** Labels are class names (strings or integers), mapped to indices of the sorted class list. */
    CLASSIFICATION,
    /** Labels are real-valued targets. */
    REGRESSION
}
