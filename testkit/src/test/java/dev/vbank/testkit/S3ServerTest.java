package dev.vbank.testkit;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3ServerTest {

    private static final byte[] CONTENT = "{\"prompt\":\"hi\",\"completion\":\"hello\"}\n".repeat(1000)
            .getBytes(StandardCharsets.UTF_8);

    @Test
    void putsStatsAndGetsAnObjectWithItsSha256() throws Exception {
        try (S3Server s3 = S3Server.start(); MinioClient client = s3.client()) {
            assertThat(client.bucketExists(BucketExistsArgs.builder().bucket("vbank").build())).isTrue();
            String sha = sha256(CONTENT);
            put(client, "tenants/t1/files/file-1", CONTENT, sha);

            StatObjectResponse stat = client.statObject(
                    StatObjectArgs.builder().bucket("vbank").object("tenants/t1/files/file-1").build());
            assertThat(stat.size()).isEqualTo(CONTENT.length);
            assertThat(stat.userMetadata()).containsEntry("sha256", sha);

            assertThat(sha256(get(client, "tenants/t1/files/file-1"))).isEqualTo(sha);
        }
    }

    @Test
    void rejectsAWrongSecretKey() {
        try (S3Server s3 = S3Server.start();
             MinioClient wrong = MinioClient.builder().endpoint(s3.endpoint()).region(S3Server.REGION)
                     .credentials(s3.accessKey(), "not-the-secret").build()) {
            assertThatThrownBy(() -> wrong.bucketExists(BucketExistsArgs.builder().bucket("vbank").build()))
                    .isInstanceOfSatisfying(ErrorResponseException.class,
                            e -> assertThat(e.errorResponse().code()).isEqualTo("AccessDenied"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void persistentBaseDirKeepsObjectsAcrossRestart(@TempDir Path tmp) throws Exception {
        Path baseDir = tmp.resolve("s3");
        String sha = sha256(CONTENT);
        try (S3Server s3 = S3Server.start(baseDir, 0, "key", "secret-key"); MinioClient client = s3.client()) {
            put(client, "base-models/minilm/config.json", CONTENT, sha);
        }
        try (S3Server s3 = S3Server.start(baseDir, 0, "key", "secret-key"); MinioClient client = s3.client()) {
            assertThat(sha256(get(client, "base-models/minilm/config.json"))).isEqualTo(sha);
        }
    }

    private static void put(MinioClient client, String key, byte[] content, String sha) throws Exception {
        client.putObject(PutObjectArgs.builder().bucket("vbank").object(key)
                .stream(new ByteArrayInputStream(content), content.length, -1)
                .contentType("application/jsonl")
                .userMetadata(Map.of("sha256", sha))
                .build());
    }

    private static byte[] get(MinioClient client, String key) throws Exception {
        try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket("vbank").object(key).build())) {
            return in.readAllBytes();
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
