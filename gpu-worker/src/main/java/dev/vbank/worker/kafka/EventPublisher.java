package dev.vbank.worker.kafka;

import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import dev.vbank.worker.WorkerConfig;
import dev.vbank.worker.WorkerIdentity;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes {@link WorkerEvent}s on {@code vbank.jobs.events}, keyed by job id, with an idempotent producer and
 * acks=all. Event ids are derived from (job, attempt, kind, step), so an event published twice is applied once by the
 * scheduler; heartbeats get random ids (the scheduler does not store them).
 */
@ApplicationScoped
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final KafkaProducer<String, String> producer;
    private final String workerId;
    private final Duration sendTimeout;

    public EventPublisher(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                          WorkerConfig config, WorkerIdentity identity) {
        this.workerId = identity.id();
        this.sendTimeout = config.kafka().sendTimeout();
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, "gpu-worker-events-" + workerId,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new StringSerializer());
    }

    /** Which job attempt events belong to. */
    public record Lease(String jobId, int attempt, String leaseToken) {
    }

    /** {@code ftevent-w-<job>-a<attempt>-<kind>-<suffix>}: the suffix (a step, "start", "eval-12") tells repeats apart. */
    public static String eventId(Lease lease, WorkerEvent.Kind kind, String suffix) {
        return "ftevent-w-" + lease.jobId() + "-a" + lease.attempt() + "-" + kind.name().toLowerCase() + "-" + suffix;
    }

    public WorkerEvent event(Lease lease, WorkerEvent.Kind kind, String suffix, EventLevel level, EventType type,
                             String message, Map<String, Object> data) {
        String id = kind == WorkerEvent.Kind.HEARTBEAT ? "ftevent-w-hb-" + UUID.randomUUID() : eventId(lease, kind, suffix);
        JobEvent ev = new JobEvent(id, JobEvent.OBJECT, Instant.now().getEpochSecond(), level, type, message, data);
        return new WorkerEvent(lease.jobId(), lease.attempt(), lease.leaseToken(), workerId, kind, ev);
    }

    /** Fire and forget (progress, heartbeats): a lost one is superseded by the next. */
    public void publish(WorkerEvent e) {
        send(e);
    }

    /** Waits for the broker's acknowledgement; used for checkpoints and outcomes, which the scheduler must see. */
    public void publishAndWait(WorkerEvent e) {
        try {
            send(e).get(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing " + e.kind() + " of " + e.jobId(), ex);
        } catch (ExecutionException | TimeoutException ex) {
            throw new IllegalStateException("cannot publish " + e.kind() + " of " + e.jobId() + ": " + ex, ex);
        }
    }

    private Future<?> send(WorkerEvent e) {
        String json;
        try {
            json = Json.mapper().writeValueAsString(e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalArgumentException("unserializable worker event " + e, ex);
        }
        return producer.send(new ProducerRecord<>(Topics.JOB_EVENTS, e.jobId(), json), (meta, ex) -> {
            if (ex != null) {
                LOG.warnf("publishing %s of %s failed: %s", e.kind(), e.jobId(), ex.toString());
            }
        });
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
