package dev.vbank.artifacts.files;

import java.util.List;

/** The contract's file object (snake_case on the wire). */
public record FileObject(String id, String object, long bytes, long createdAt, String filename, String purpose,
                         String sha256, String status, String statusDetails, long rows, List<String> labels) {
}
