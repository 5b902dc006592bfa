package dev.vbank.testkit;

import java.util.function.Supplier;

/**
 * Kafka and jclouds find classes and services through the thread's context class loader. Under a Quarkus test that
 * is the application's loader, whose copies of those classes are not the testkit's: run on the testkit's loader.
 */
final class OwnClassLoader {

    private OwnClassLoader() {
    }

    static <T> T call(Supplier<T> action) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(OwnClassLoader.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
