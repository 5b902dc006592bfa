package dev.vbank.gateway;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** Points the gateway's scheduler and artifact-service URLs at one {@link StubServices} for the whole test JVM. */
public class StubServicesResource implements QuarkusTestResourceLifecycleManager {

    private static StubServices stub;

    @Override
    public synchronized Map<String, String> start() {
        if (stub == null) {
            try {
                stub = new StubServices();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Map.of("vbank.scheduler.url", stub.url(), "vbank.artifacts.url", stub.url(), "vbank.inference.url",
                stub.url());
    }

    @Override
    public void stop() {
        // shared by every test class of the JVM
    }
}
