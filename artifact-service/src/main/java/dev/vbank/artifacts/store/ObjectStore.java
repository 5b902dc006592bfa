package dev.vbank.artifacts.store;

import dev.vbank.artifacts.ArtifactsConfig;
import dev.vbank.artifacts.S3Config;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The bucket, as this service uses it: whole-file puts tagged with their sha256, verified reads, presigned GETs. */
@ApplicationScoped
public class ObjectStore {

    /** User metadata (x-amz-meta-sha256) so a seeder can check an object without downloading it. */
    public static final String SHA_META = "sha256";

    private final MinioClient client;
    private final String bucket;
    private final ArtifactsConfig config;

    public ObjectStore(MinioClient client, S3Config s3, ArtifactsConfig config) {
        this.client = client;
        this.bucket = s3.bucket();
        this.config = config;
    }

    public Path tempDir() {
        return config.tempDir().orElse(null);
    }

    public void put(String key, Path file, long bytes, String sha256, String contentType) {
        try (InputStream in = Files.newInputStream(file)) {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                    .stream(in, bytes, -1)
                    .contentType(contentType)
                    .userMetadata(Map.of(SHA_META, sha256))
                    .build());
        } catch (Exception e) {
            throw new StorageException("cannot write " + key, e);
        }
    }

    /**
     * Downloads the object into a temporary file while hashing it and returns it only if the hash is {@code expected}:
     * nothing of a damaged object ever reaches a client.
     */
    public Spool fetchVerified(String key, String expected) {
        Path file;
        try {
            file = tempDir() == null ? Files.createTempFile("vbank-", ".get") : Files.createTempFile(tempDir(), "vbank-", ".get");
        } catch (IOException e) {
            throw new StorageException("cannot create a temporary file", e);
        }
        MessageDigest sha = Spool.digest();
        long total = 0;
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build());
             OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
                total += n;
            }
        } catch (ErrorResponseException e) {
            delete(file);
            if ("NoSuchKey".equals(e.errorResponse().code())) {
                throw new MissingObjectException(key);
            }
            throw new StorageException("cannot read " + key, e);
        } catch (Exception e) {
            delete(file);
            throw new StorageException("cannot read " + key, e);
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (!got.equals(expected)) {
            delete(file);
            throw new CorruptedObjectException(key, expected, got);
        }
        return new Spool(file, total, got);
    }

    /** The object's size and recorded sha256 (user metadata), or empty when there is no such object. */
    public Optional<Stat> stat(String key) {
        try {
            StatObjectResponse r = client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return Optional.of(new Stat(r.size(), r.userMetadata().get(SHA_META)));
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code()) || "NotFound".equals(e.errorResponse().code())) {
                return Optional.empty();
            }
            throw new StorageException("cannot stat " + key, e);
        } catch (Exception e) {
            throw new StorageException("cannot stat " + key, e);
        }
    }

    public record Stat(long bytes, String sha256) {
    }

    public record Presigned(String url, long expiresAt) {
    }

    public Presigned presign(String key) {
        Duration expiry = config.presignExpiry();
        try {
            Instant expires = Instant.now().plus(expiry);
            String url = client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                    .method(Method.GET).bucket(bucket).object(key)
                    .expiry((int) expiry.toSeconds(), TimeUnit.SECONDS).build());
            return new Presigned(url, expires.getEpochSecond());
        } catch (Exception e) {
            throw new StorageException("cannot presign " + key, e);
        }
    }

    public void remove(String key) {
        try {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (Exception e) {
            throw new StorageException("cannot remove " + key, e);
        }
    }

    /** Best effort, for undoing a put whose metadata row could not be written. */
    public void removeQuietly(String key, Throwable cause) {
        try {
            remove(key);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    public static class StorageException extends RuntimeException {
        public StorageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The object's bytes do not hash to the recorded sha256. */
    public static class CorruptedObjectException extends RuntimeException {
        public CorruptedObjectException(String key, String expected, String got) {
            super("object " + key + " is corrupted: sha256 " + got + ", recorded " + expected);
        }
    }

    public static class MissingObjectException extends RuntimeException {
        public MissingObjectException(String key) {
            super("object " + key + " is missing from the bucket");
        }
    }
}
