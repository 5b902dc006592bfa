package dev.vbank.deploy;

import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalInfraTest {

    @Test
    void optionsDefaultToTheArchitecturePortsAndRejectWhatTheyDoNotKnow() {
        LocalInfra.Options o = LocalInfra.Options.parse(new String[] {"--data-dir", "x"});
        assertThat(o.dataDir().isAbsolute()).isTrue();
        assertThat(o.dataDir().getFileName()).hasToString("x");
        assertThat(List.of(o.pgPort(), o.kafkaPort(), o.s3Port())).containsExactly(54320, 19092, 19000);

        assertThatThrownBy(() -> LocalInfra.Options.parse(new String[] {"--pg-port", "1"}))
                .hasMessageContaining("--data-dir is required");
        assertThatThrownBy(() -> LocalInfra.Options.parse(new String[] {"--data-dir", "x", "--pg-prot", "1"}))
                .hasMessageContaining("unknown option(s): [pg-prot]");
        assertThatThrownBy(() -> LocalInfra.Options.parse(new String[] {"--data-dir", "x", "--s3-port", "abc"}))
                .hasMessageContaining("--s3-port must be a number, got 'abc'");
        assertThatThrownBy(() -> LocalInfra.Options.parse(new String[] {"--data-dir"}))
                .hasMessageContaining("expected --name value pairs");
    }

    /** Real servers on free ports: ready file, one owner per data dir, and state that survives a stop and start. */
    @Test
    void writesTheReadyFileLocksTheDataDirAndKeepsStateAcrossARestart(@TempDir Path dataDir) throws Exception {
        String[] args = {"--data-dir", dataDir.toString(), "--pg-port", "0", "--kafka-port", "0", "--s3-port", "0"};
        Path envFile = dataDir.resolve("run/infra.env");

        LocalInfra first = new LocalInfra(LocalInfra.Options.parse(args));
        try {
            first.start();
            Map<String, String> env = readEnv(envFile);
            assertThat(env).containsKeys("QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME",
                    "QUARKUS_DATASOURCE_PASSWORD", "KAFKA_BOOTSTRAP_SERVERS", "VBANK_S3_ENDPOINT", "VBANK_S3_ACCESS_KEY",
                    "VBANK_S3_SECRET_KEY", "VBANK_S3_BUCKET");
            assertThat(env.get("VBANK_S3_BUCKET")).isEqualTo("vbank");

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, env.get("KAFKA_BOOTSTRAP_SERVERS")))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).containsAll(LocalInfra.TOPICS);
            }
            try (Connection c = jdbc(env); Statement st = c.createStatement()) {
                st.execute("create table kept (v text)");
                st.execute("insert into kept values ('before restart')");
            }
            try (MinioClient s3 = s3(env)) {
                byte[] bytes = "kept".getBytes();
                s3.putObject(PutObjectArgs.builder().bucket("vbank").object("kept.txt")
                        .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
            }

            LocalInfra second = new LocalInfra(LocalInfra.Options.parse(args));
            assertThatThrownBy(second::start).hasMessageContaining("another LocalInfra holds");
            second.stop(); // what its shutdown hook would do
            assertThat(envFile).as("a refused second instance must not touch the first one's ready file").exists();
        } finally {
            first.stop();
        }
        assertThat(envFile).doesNotExist();

        LocalInfra again = new LocalInfra(LocalInfra.Options.parse(args));
        try {
            again.start();
            Map<String, String> env = readEnv(envFile);
            try (Connection c = jdbc(env); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select v from kept")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("before restart");
            }
            try (MinioClient s3 = s3(env)) {
                List<String> names = new ArrayList<>();
                for (Result<Item> r : s3.listObjects(ListObjectsArgs.builder().bucket("vbank").build())) {
                    names.add(r.get().objectName());
                }
                assertThat(names).contains("kept.txt");
            }
        } finally {
            again.stop();
        }
    }

    private static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return env;
    }

    private static Connection jdbc(Map<String, String> env) throws Exception {
        return DriverManager.getConnection(env.get("QUARKUS_DATASOURCE_JDBC_URL"), env.get("QUARKUS_DATASOURCE_USERNAME"),
                env.get("QUARKUS_DATASOURCE_PASSWORD"));
    }

    private static MinioClient s3(Map<String, String> env) {
        return MinioClient.builder().endpoint(env.get("VBANK_S3_ENDPOINT")).region("us-east-1")
                .credentials(env.get("VBANK_S3_ACCESS_KEY"), env.get("VBANK_S3_SECRET_KEY")).build();
    }
}
