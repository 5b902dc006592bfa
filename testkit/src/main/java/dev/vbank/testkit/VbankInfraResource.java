package dev.vbank.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * Quarkus test resource that points a service at real PostgreSQL, Kafka and S3 servers from this testkit.
 * <pre>
 * &#64;WithTestResource(value = VbankInfraResource.class, initArgs = {
 *     &#64;ResourceArg(name = "needs", value = "postgres,kafka,s3"),
 *     &#64;ResourceArg(name = "topics", value = "vbank.jobs.dispatch,vbank.jobs.events") })
 * </pre>
 * {@code needs} defaults to all three; {@code topics} are created up front (optional). The servers are shared by
 * every test class of the JVM, whatever Quarkus application restarts happen in between, and stop at JVM exit.
 */
public class VbankInfraResource implements QuarkusTestResourceLifecycleManager {

    public static final String NEEDS = "needs";
    public static final String TOPICS = "topics";

    private String needs = "postgres,kafka,s3";
    private String topics = "";

    @Override
    public void init(Map<String, String> initArgs) {
        needs = initArgs.getOrDefault(NEEDS, needs);
        topics = initArgs.getOrDefault(TOPICS, topics);
        SharedInfra.parseNeeds(needs); // fail at init with the list of valid needs
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, String> start() {
        try {
            return (Map<String, String>) jvmWideQuarkusConfig().invoke(null, needs, topics);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@link SharedInfra#quarkusConfig} as loaded by the system class loader, so one set of servers serves every
     * Quarkus application class loader of this JVM; falls back to this class's loader when the system class loader
     * does not see the testkit (a runner with an isolated class path).
     */
    private static Method jvmWideQuarkusConfig() {
        Class<?> shared;
        try {
            shared = Class.forName(SharedInfra.class.getName(), true, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException e) {
            shared = SharedInfra.class;
        }
        try {
            return shared.getMethod("quarkusConfig", String.class, String.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("testkit class path mismatch: " + shared + " has no quarkusConfig", e);
        }
    }

    @Override
    public void stop() {
        // shared servers outlive a single test application; SharedInfra stops them at JVM exit
    }
}
