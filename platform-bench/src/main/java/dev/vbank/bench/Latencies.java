package dev.vbank.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A small sample of latencies in milliseconds, with nearest-rank percentiles. */
final class Latencies {

    private final List<Double> millis = new ArrayList<>();

    synchronized void add(double ms) {
        millis.add(ms);
    }

    synchronized int count() {
        return millis.size();
    }

    /** The nearest-rank percentile: the smallest value with at least {@code p}% of the sample at or below it. */
    synchronized double percentile(double p) {
        if (millis.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    synchronized List<Double> values() {
        return List.copyOf(millis);
    }
}
