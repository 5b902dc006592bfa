package dev.vbank.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * Open-loop load at a fixed rate: request {@code i} is due at {@code start + i / rate} whether or not earlier ones have
 * answered, and its latency is measured from that due time, not from when it was actually sent. A slow server (or a
 * stalled generator) therefore shows up as queueing in the percentiles instead of silently lowering the offered rate
 * (coordinated omission).
 */
public final class OpenLoop {

    /** Longest latency the histogram holds, in microseconds; slower answers count at this value. */
    static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(2);

    public record Result(String name, double offeredRate, long sent, long ok, long failed, Map<String, Long> outcomes,
                         Histogram latencyMicros, double elapsedSeconds) {

        /** Successful answers per second over the whole run (first due time to last answer). */
        public double throughput() {
            return elapsedSeconds > 0 ? ok / elapsedSeconds : 0;
        }

        public double percentileMillis(double percentile) {
            return latencyMicros.getTotalCount() == 0 ? Double.NaN
                    : latencyMicros.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    private OpenLoop() {
    }

    /** When request {@code i} is due, in nanoseconds after the start, at {@code rate} requests per second. */
    static long dueOffsetNanos(long i, double rate) {
        return Math.round(i * 1e9 / rate);
    }

    /** How many requests a run of {@code duration} at {@code rate} sends, at most {@code maxRequests}. */
    static long plannedRequests(double rate, Duration duration, long maxRequests) {
        long byTime = (long) Math.ceil(duration.toNanos() * rate / 1e9);
        return Math.min(byTime, maxRequests);
    }

    /**
     * Sends {@code request.apply(i)} at {@code rate} per second for {@code duration} (at most {@code maxRequests}), then
     * waits up to {@code drain} for the answers still out; those that do not come count as failed ({@code timeout}).
     * A 2xx answer is a success; anything else is a failure, recorded by status.
     */
    public static Result run(String name, HttpClient client, double rate, Duration duration, long maxRequests,
                             Duration drain, LongFunction<HttpRequest> request) {
        return run(name, rate, duration, maxRequests, drain, i -> client.sendAsync(request.apply(i),
                HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode));
    }

    /**
     * The same load on any asynchronous call: {@code call.apply(i)} is started when request {@code i} is due and
     * completes with an HTTP-like status (2xx = success) or exceptionally.
     */
    public static Result run(String name, double rate, Duration duration, long maxRequests, Duration drain,
                             LongFunction<java.util.concurrent.CompletionStage<Integer>> call) {
        if (!(rate > 0)) {
            throw new IllegalArgumentException("rate must be positive");
        }
        long planned = plannedRequests(rate, duration, maxRequests);
        Histogram latency = new ConcurrentHistogram(MAX_MICROS, 3);
        Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong outstanding = new AtomicLong();
        AtomicLong lastAnswer = new AtomicLong();
        long start = System.nanoTime();
        for (long i = 0; i < planned; i++) {
            long due = start + dueOffsetNanos(i, rate);
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            outstanding.incrementAndGet();
            call.apply(i).whenComplete((status, error) -> {
                long now = System.nanoTime();
                latency.recordValue(Math.min(MAX_MICROS, Math.max(0, (now - due) / 1000)));
                lastAnswer.accumulateAndGet(now, Math::max);
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                String outcome = cause != null ? cause.getClass().getSimpleName() : String.valueOf(status);
                outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
                if (error == null && status / 100 == 2) {
                    ok.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
                outstanding.decrementAndGet();
            });
        }
        long drainUntil = System.nanoTime() + drain.toNanos();
        while (outstanding.get() > 0 && System.nanoTime() < drainUntil) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        long okCount = ok.get();
        long failedCount = failed.get();
        long unanswered = planned - okCount - failedCount;
        Map<String, Long> counts = new TreeMap<>();
        outcomes.forEach((k, v) -> counts.put(k, v.get()));
        if (unanswered > 0) {
            counts.put("timeout", unanswered);
            latency.recordValueWithCount(MAX_MICROS, unanswered);
        }
        long end = Math.max(lastAnswer.get(), start + dueOffsetNanos(Math.max(0, planned - 1), rate));
        return new Result(name, rate, planned, okCount, failedCount + unanswered, counts, latency.copy(),
                (end - start) / 1e9);
    }
}
