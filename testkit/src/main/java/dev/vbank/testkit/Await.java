package dev.vbank.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition: for states that become true eventually (readiness, consumed records) rather than at once. */
public final class Await {

    private Await() {
    }

    /**
     * @throws AssertionError naming {@code what} when the condition is still false after {@code timeout}
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not " + what + " within " + timeout);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting until " + what, e);
            }
        }
    }
}
