package dev.vbank.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.job.JobStatus;
import dev.vbank.gateway.GatewayConfig;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.SchedulerClient;
import dev.vbank.service.error.DomainException;
import dev.vbank.service.rest.ApiException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Server-sent events of jobs. Each open stream polls the scheduler's events page ({@code after=<last id>}) on a small
 * shared timer pool, so an idle stream holds no thread; a stream ends after the job's terminal state event. A stream with
 * nothing to send writes a {@code : keep-alive} comment every {@code vbank.sse.keep-alive}.
 */
@ApplicationScoped
public class EventStreams {

    private static final Logger LOG = Logger.getLogger(EventStreams.class);
    private static final String SERVICE = "job-scheduler";

    private final SchedulerClient scheduler;
    private final long pollMillis;
    private final long statusMillis;
    private final long keepAliveNanos;
    private final ScheduledExecutorService timer;
    private final AtomicInteger open = new AtomicInteger();

    public EventStreams(@RestClient SchedulerClient scheduler, GatewayConfig config) {
        this.scheduler = scheduler;
        this.pollMillis = Math.max(20, config.sse().pollInterval().toMillis());
        this.statusMillis = Math.max(pollMillis, config.sse().statusInterval().toMillis());
        this.keepAliveNanos = config.sse().keepAlive().toNanos();
        AtomicInteger n = new AtomicInteger();
        this.timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "vbank-sse-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int openStreams() {
        return open.get();
    }

    /** Checks the job and the resume point with a first page (errors answer as JSON), then streams. */
    public Multi<OutboundSseEvent> open(String tenant, String jobId, String after, Sse sse) {
        Stream s = new Stream(tenant, jobId, after, sse);
        JsonNode first = s.page().orRelay().json(SERVICE);
        return Multi.createFrom().emitter(em -> {
            s.emitter = em;
            open.incrementAndGet();
            em.onTermination(s::close);
            timer.execute(() -> s.deliver(first));
        }, BackPressureStrategy.BUFFER);
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }

    private final class Stream {
        final String tenant;
        final String jobId;
        final Sse sse;
        volatile MultiEmitter<? super OutboundSseEvent> emitter;
        String after;
        long lastStatusCheck = System.nanoTime();
        long lastWrite = System.nanoTime();
        boolean finishing;
        volatile boolean closed;

        Stream(String tenant, String jobId, String after, Sse sse) {
            this.tenant = tenant;
            this.jobId = jobId;
            this.after = after;
            this.sse = sse;
        }

        Downstream.Fetched page() {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("limit", "100");
            if (after != null) {
                query.put("after", after);
            }
            return Downstream.fetch(SERVICE, () -> scheduler.events(tenant, jobId, query));
        }

        void poll() {
            if (closed) {
                return;
            }
            if (emitter.isCancelled()) {
                close();
                return;
            }
            try {
                Downstream.Fetched f = page();
                if (f.status() == 404) {
                    close();
                    return;
                }
                if (!f.ok()) {
                    LOG.debugf("events of %s answered %d; retrying", jobId, f.status());
                    schedule(statusMillis);
                    return;
                }
                deliver(f.json(SERVICE));
            } catch (ApiException | DomainException e) {
                schedule(statusMillis);
            } catch (RuntimeException e) {
                LOG.warn("event stream failed", e);
                close();
            }
        }

        void deliver(JsonNode page) {
            int n = 0;
            for (JsonNode event : page.path("data")) {
                n++;
                String id = event.path("id").asText();
                if (closed) {
                    return;
                }
                emitter.emit(sse.newEventBuilder().id(id).mediaType(MediaType.APPLICATION_JSON_TYPE)
                        .data(String.class, event.toString()).build());
                lastWrite = System.nanoTime();
                after = id;
                if (event.path("type").asText().equals("state")
                        && JobStatus.isTerminal(event.path("data").path("status").asText())) {
                    close();
                    return;
                }
            }
            if (page.path("has_more").asBoolean(false)) {
                schedule(0);
                return;
            }
            if (finishing) {
                close();
                return;
            }
            if (n == 0 && System.nanoTime() - lastWrite > keepAliveNanos) {
                emitter.emit(sse.newEventBuilder().comment("keep-alive").build());
                lastWrite = System.nanoTime();
            }
            if (n == 0 && System.nanoTime() - lastStatusCheck > statusMillis * 1_000_000L) {
                lastStatusCheck = System.nanoTime();
                Downstream.Fetched job = Downstream.fetch(SERVICE, () -> scheduler.get(tenant, jobId));
                if (job.status() == 404 || job.ok() && JobStatus.isTerminal(job.json(SERVICE).path("status").asText())) {
                    finishing = true; // one more page for events written before the job ended, then close
                    schedule(0);
                    return;
                }
            }
            schedule(pollMillis);
        }

        void schedule(long delayMillis) {
            try {
                timer.schedule(this::poll, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                close();
            }
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                open.decrementAndGet();
                emitter.complete();
            }
        }
    }
}
