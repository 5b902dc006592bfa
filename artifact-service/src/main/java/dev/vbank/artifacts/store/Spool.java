package dev.vbank.artifacts.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A body copied to a temporary file while it is hashed and counted; the caller deletes it. */
public record Spool(Path file, long bytes, String sha256) implements AutoCloseable {

    /** Thrown once more than the cap arrived; the partial file is already deleted. */
    public static final class TooLarge extends IOException {
        public final long limit;

        TooLarge(long limit) {
            super("more than " + limit + " bytes");
            this.limit = limit;
        }
    }

    public static Spool receive(InputStream in, long cap, Path dir) throws IOException {
        Path file = dir == null ? Files.createTempFile("vbank-", ".spool") : Files.createTempFile(dir, "vbank-", ".spool");
        MessageDigest sha = digest();
        long total = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
                if (total > cap) {
                    throw new TooLarge(cap);
                }
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new Spool(file, total, HexFormat.of().formatHex(sha.digest()));
    }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }
}
