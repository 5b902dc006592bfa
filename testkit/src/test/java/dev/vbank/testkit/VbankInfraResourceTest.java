package dev.vbank.testkit;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VbankInfraResourceTest {

    @Test
    void rejectsAnUnknownNeedNamingTheValidOnes() {
        VbankInfraResource resource = new VbankInfraResource();
        assertThatThrownBy(() -> resource.init(Map.of("needs", "postgres,redis")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis")
                .hasMessageContaining("postgres,kafka,s3");
    }

    @Test
    void startsOnlyWhatIsNeededAndReturnsWorkingConfig() throws Exception {
        VbankInfraResource resource = new VbankInfraResource();
        resource.init(Map.of("needs", " postgres "));
        Map<String, String> config = resource.start();

        assertThat(config).containsEntry("quarkus.devservices.enabled", "false")
                .containsKeys("quarkus.datasource.jdbc.url", "quarkus.datasource.username", "quarkus.datasource.password")
                .doesNotContainKeys("kafka.bootstrap.servers", "vbank.s3.endpoint");
        try (Connection c = DriverManager.getConnection(config.get("quarkus.datasource.jdbc.url"),
                config.get("quarkus.datasource.username"), config.get("quarkus.datasource.password"))) {
            assertThat(c.isValid(5)).isTrue();
        }

        VbankInfraResource again = new VbankInfraResource();
        again.init(Map.of("needs", "postgres"));
        assertThat(again.start()).as("one shared server per JVM")
                .containsEntry("quarkus.datasource.jdbc.url", config.get("quarkus.datasource.jdbc.url"));
    }

    @Test
    void sharesServersAcrossClassLoaders() throws Exception {
        VbankInfraResource resource = new VbankInfraResource();
        resource.init(Map.of("needs", "postgres"));
        String url = resource.start().get("quarkus.datasource.jdbc.url");

        // what Quarkus does on an application restart: test resources come from a fresh class loader
        java.net.URL[] path = {VbankInfraResource.class.getProtectionDomain().getCodeSource().getLocation()};
        try (java.net.URLClassLoader isolated = new java.net.URLClassLoader(path, ClassLoader.getSystemClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.startsWith("dev.vbank.testkit.")) {
                    synchronized (getClassLoadingLock(name)) {
                        Class<?> c = findLoadedClass(name);
                        return c != null ? c : findClass(name);
                    }
                }
                return super.loadClass(name, resolve);
            }
        }) {
            Class<?> reloaded = isolated.loadClass(VbankInfraResource.class.getName());
            assertThat(reloaded).isNotSameAs(VbankInfraResource.class);
            Object other = reloaded.getConstructor().newInstance();
            reloaded.getMethod("init", Map.class).invoke(other, Map.of("needs", "postgres"));
            @SuppressWarnings("unchecked")
            Map<String, String> otherConfig = (Map<String, String>) reloaded.getMethod("start").invoke(other);
            assertThat(otherConfig).containsEntry("quarkus.datasource.jdbc.url", url);
        }
    }
}
