package dev.vbank.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CliConfigTest {

    @TempDir
    Path home;

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsDefault() {
        Map<String, String> env = new HashMap<>();
        CliConfig c = new CliConfig(env, home);
        assertThat(c.file()).isEqualTo(home.resolve(".config/vbank/config.json"));
        CliConfig.Resolved none = c.resolve(null, null, null);
        assertThat(none.endpoint()).isEqualTo(new CliConfig.Setting(CliConfig.DEFAULT_ENDPOINT, CliConfig.Source.DEFAULT));
        assertThat(none.apiKey()).isEqualTo(new CliConfig.Setting(null, CliConfig.Source.NONE));

        c.write("default", "https://vbank.example.com/", "vbk_file");
        CliConfig.Resolved file = c.resolve(null, null, null);
        assertThat(file.endpoint()).isEqualTo(new CliConfig.Setting("https://vbank.example.com", CliConfig.Source.FILE));
        assertThat(file.apiKey()).isEqualTo(new CliConfig.Setting("vbk_file", CliConfig.Source.FILE));

        env.put("VBANK_ENDPOINT", "http://env:8080");
        env.put("VBANK_API_KEY", "vbk_env");
        CliConfig.Resolved fromEnv = c.resolve(null, null, null);
        assertThat(fromEnv.endpoint().value()).isEqualTo("http://env:8080");
        assertThat(fromEnv.apiKey()).isEqualTo(new CliConfig.Setting("vbk_env", CliConfig.Source.ENVIRONMENT));

        CliConfig.Resolved flags = c.resolve(null, "http://flag:1", "vbk_flag");
        assertThat(flags.endpoint()).isEqualTo(new CliConfig.Setting("http://flag:1", CliConfig.Source.FLAG));
        assertThat(flags.apiKey()).isEqualTo(new CliConfig.Setting("vbk_flag", CliConfig.Source.FLAG));
    }

    @Test
    void profilesAreSeparateAndChosenByFlagThenEnvironment() {
        Map<String, String> env = new HashMap<>();
        CliConfig c = new CliConfig(env, home);
        c.write("default", "http://a:1", "vbk_a");
        c.write("staging", "http://b:2", "vbk_b");
        c.write("staging", null, "vbk_b2"); // keeps the endpoint
        assertThat(c.resolve(null, null, null).apiKey().value()).isEqualTo("vbk_a");
        assertThat(c.resolve("staging", null, null).endpoint().value()).isEqualTo("http://b:2");
        assertThat(c.resolve("staging", null, null).apiKey().value()).isEqualTo("vbk_b2");
        env.put("VBANK_PROFILE", "staging");
        assertThat(c.resolve(null, null, null).profile()).isEqualTo("staging");
        assertThat(c.resolve("default", null, null).apiKey().value()).isEqualTo("vbk_a");
        assertThat(c.resolve("nope", null, null).endpoint().source()).isEqualTo(CliConfig.Source.DEFAULT);
    }

    @Test
    void fileIsOwnerOnlyAndLocationFollowsTheEnvironment() throws Exception {
        CliConfig c = new CliConfig(Map.of(), home);
        c.write("default", "http://a:1", "vbk_secret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.file()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.file().getParent()))).isEqualTo("rwx------");
        assertThat(Files.list(c.file().getParent())).containsExactly(c.file());
        assertThat(new CliConfig(Map.of("XDG_CONFIG_HOME", "/x"), home).file()).isEqualTo(Path.of("/x/vbank/config.json"));
        assertThat(new CliConfig(Map.of("XDG_CONFIG_HOME", "/x", "VBANK_CONFIG", "/y/c.json"), home).file())
                .isEqualTo(Path.of("/y/c.json"));
    }

    @Test
    void badEndpointsAndABrokenFileAreUsageErrors() throws Exception {
        assertThat(CliConfig.normalizeEndpoint(" http://h:8080/base// ")).isEqualTo("http://h:8080/base");
        for (String bad : new String[]{"localhost:8080", "ftp://h", "http://", "http://h/?x=1", "not a url"}) {
            assertThatThrownBy(() -> CliConfig.normalizeEndpoint(bad)).as(bad).isInstanceOf(CliException.class)
                    .extracting(e -> ((CliException) e).exitCode()).isEqualTo(Exit.USAGE);
        }
        CliConfig c = new CliConfig(Map.of(), home);
        Files.createDirectories(c.file().getParent());
        Files.writeString(c.file(), "{broken");
        assertThatThrownBy(() -> c.resolve(null, null, null)).isInstanceOf(CliException.class)
                .hasMessageContaining(c.file().toString()).hasMessageContaining("vbank configure");
    }

    @Test
    void maskShowsOnlyAPrefix() {
        assertThat(CliConfig.mask("vbk_0123456789abcdef")).isEqualTo("vbk_0123…ef").doesNotContain("456789");
        assertThat(CliConfig.mask("short")).isEqualTo("****");
        assertThat(CliConfig.mask(null)).isEqualTo("(none)");
    }
}
