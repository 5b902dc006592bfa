package dev.vbank.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

class PostgresServerTest {

    @Test
    void roundTripsRowsInDatabaseVbank() throws SQLException {
        try (PostgresServer pg = PostgresServer.start();
             Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
             Statement st = c.createStatement()) {
            assertThat(pg.jdbcUrl()).endsWith(":" + pg.port() + "/vbank");
            assertThat(scalar(st, "select current_database()")).isEqualTo("vbank");
            assertThat(scalar(st, "show server_version")).startsWith("17.");

            st.execute("create table probe (id int primary key, name text not null)");
            st.execute("insert into probe values (1, 'vb-lora'), (2, 'lora')");
            assertThat(scalar(st, "select string_agg(name, ',' order by id) from probe")).isEqualTo("vb-lora,lora");
        }
    }

    @Test
    void persistentDataDirectorySurvivesRestart(@TempDir Path tmp) throws SQLException {
        Path dataDir = tmp.resolve("pg");
        try (PostgresServer pg = PostgresServer.start(dataDir, 0);
             Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
             Statement st = c.createStatement()) {
            st.execute("create table kept (v text)");
            st.execute("insert into kept values ('still here')");
        }
        assertThat(PostgresServer.isInitialised(dataDir)).isTrue();

        try (PostgresServer pg = PostgresServer.start(dataDir, 0);
             Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
             Statement st = c.createStatement()) {
            assertThat(scalar(st, "select v from kept")).isEqualTo("still here");
        }
    }

    private static String scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as("a row from %s", sql).isTrue();
            return rs.getString(1);
        }
    }
}
