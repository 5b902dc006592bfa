package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.sse.SseClient;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows a job's server-sent events until its terminal state event. A stream that drops (or stays silent longer than
 * the idle timeout) is reopened with {@code Last-Event-ID}, so no event is shown twice or lost; when the job is already
 * terminal the remaining events are read as JSON pages instead. Connection failures are retried with backoff until
 * {@code giveUpAfter} has passed without a successful connection.
 */
final class JobWatch {

    private final ApiClient api;
    private final ProgressView view;
    private final Duration idleTimeout;
    private final Duration giveUpAfter;
    private String lastEventId;
    private long retryMillis = 1000;
    private boolean connected;

    JobWatch(ApiClient api, ProgressView view, Duration idleTimeout, Duration giveUpAfter) {
        this.api = api;
        this.view = view;
        this.idleTimeout = idleTimeout;
        this.giveUpAfter = giveUpAfter;
    }

    /** Returns the terminal status ({@code succeeded}, {@code failed} or {@code cancelled}). */
    String follow(String jobId) throws InterruptedException {
        String eventsPath = ApiCommand.path(JobsCommand.BASE, jobId, "events");
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vbank-watch");
            t.setDaemon(true);
            return t;
        });
        ScheduledFuture<?> ticker = timer.scheduleAtFixedRate(view::tick, 1, 1, TimeUnit.SECONDS);
        long failingSince = -1;
        long backoff = 0;
        try {
            while (true) {
                try {
                    String end = stream(eventsPath, timer);
                    if (end != null) {
                        return end;
                    }
                    failingSince = -1;
                    backoff = 0;
                    // the stream ended without a terminal event: the job may have ended between two polls of the gateway
                    String status = api.get(ApiCommand.path(JobsCommand.BASE, jobId), Map.of()).tree().path("status")
                            .asText();
                    if (JobStatus.isTerminal(status)) {
                        String last = drainPages(eventsPath);
                        return last != null ? last : status;
                    }
                } catch (CliException e) {
                    if (e.exitCode() != Exit.CONNECTION || !connected) {
                        throw e; // a wrong endpoint fails at once; only a connection that worked before is retried
                    }
                    long now = System.nanoTime();
                    if (failingSince < 0) {
                        failingSince = now;
                        view.say("connection lost (" + e.getMessage().replaceFirst(";.*", "") + "); reconnecting");
                    } else if (now - failingSince > giveUpAfter.toNanos()) {
                        throw e;
                    }
                    backoff = Math.min(15_000, Math.max(retryMillis, backoff * 2));
                    Thread.sleep(backoff);
                    continue;
                }
                Thread.sleep(retryMillis);
            }
        } finally {
            ticker.cancel(false);
            timer.shutdownNow();
            view.finish();
        }
    }

    /** One connection: returns the terminal status if it came, null if the stream ended or went silent first. */
    private String stream(String eventsPath, ScheduledExecutorService timer) {
        InputStream body = api.openEvents(eventsPath, lastEventId);
        connected = true;
        AtomicLong lastRead = new AtomicLong(System.nanoTime());
        Thread reader = Thread.currentThread();
        ScheduledFuture<?> watchdog = timer.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastRead.get() > idleTimeout.toNanos()) {
                lastRead.set(Long.MAX_VALUE / 2); // once
                try {
                    body.close();
                } catch (IOException e) {
                    // closing is all we want
                }
                reader.interrupt();
            }
        }, 1, 1, TimeUnit.SECONDS);
        SseClient sse = new SseClient();
        try {
            String[] end = new String[1];
            sse.read(new FilterInputStream(body) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    lastRead.set(System.nanoTime());
                    return n;
                }
            }, event -> {
                end[0] = handle(event.id(), event.data());
                return end[0] != null;
            });
            return end[0];
        } catch (IOException e) {
            return null; // dropped or closed by the watchdog: reconnect after the last event seen
        } finally {
            sse.retryMillis().ifPresent(ms -> retryMillis = Math.max(100, ms));
            watchdog.cancel(false);
            Thread.interrupted(); // a watchdog interrupt must not leak into the next sleep
        }
    }

    private String drainPages(String eventsPath) {
        while (true) {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("limit", "100");
            if (lastEventId != null) {
                q.put("after", lastEventId);
            }
            JsonNode page = api.get(eventsPath, q).tree();
            String end = null;
            for (JsonNode event : page.path("data")) {
                String e = handle(event.path("id").asText(null), event);
                end = e != null ? e : end;
            }
            if (end != null || !page.path("has_more").asBoolean(false) || page.path("data").isEmpty()) {
                return end;
            }
        }
    }

    private String handle(String id, String data) {
        JsonNode event;
        try {
            event = ApiClient.JSON.readTree(data);
        } catch (IOException e) {
            view.say("warning: skipped an event that is not JSON: " + (data.length() > 80 ? data.substring(0, 80) : data));
            return null;
        }
        return handle(id, event);
    }

    private String handle(String id, JsonNode event) {
        lastEventId = id != null ? id : event.path("id").asText(lastEventId);
        view.event(event);
        if (event.path("type").asText().equals("state")) {
            String status = event.path("data").path("status").asText();
            if (JobStatus.isTerminal(status)) {
                return status;
            }
        }
        return null;
    }
}
