package dev.vbank.scheduler;

import dev.vbank.scheduler.dispatch.Dispatcher;
import dev.vbank.scheduler.dispatch.LeaseReaper;
import dev.vbank.scheduler.dispatch.OutboxPublisher;
import dev.vbank.scheduler.events.WorkerEventConsumer;
import dev.vbank.scheduler.events.WorkerEventHandler;
import dev.vbank.scheduler.files.FileValidator;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Starts the periodic loops (validate, dispatch, publish, reap) and the worker-event consumer; stops them on shutdown. */
@ApplicationScoped
public class Background {

    private static final Logger LOG = Logger.getLogger(Background.class);

    private final SchedulerConfig config;
    private final FileValidator validator;
    private final Dispatcher dispatcher;
    private final OutboxPublisher publisher;
    private final LeaseReaper reaper;
    private final WorkerEventHandler eventHandler;
    private final String bootstrapServers;
    private ScheduledExecutorService loops;
    private WorkerEventConsumer consumer;
    private Thread consumerThread;

    public Background(SchedulerConfig config, FileValidator validator, Dispatcher dispatcher, OutboxPublisher publisher,
                      LeaseReaper reaper, WorkerEventHandler eventHandler,
                      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.validator = validator;
        this.dispatcher = dispatcher;
        this.publisher = publisher;
        this.reaper = reaper;
        this.eventHandler = eventHandler;
        this.bootstrapServers = bootstrapServers;
    }

    void start(@Observes StartupEvent ignored) {
        if (config.loopsEnabled()) {
            // the validator blocks on HTTP and the publisher on Kafka acks: give them their own threads
            loops = Executors.newScheduledThreadPool(3, r -> {
                Thread t = new Thread(r, "scheduler-loop");
                t.setDaemon(true);
                return t;
            });
            every(config.validateInterval(), "validate", validator::validateOnce);
            every(config.dispatchInterval(), "dispatch", dispatcher::dispatchOnce);
            every(config.publishInterval(), "publish", publisher::publishOnce);
            every(config.reapInterval(), "reap", reaper::reapOnce);
        }
        if (config.consumeEvents()) {
            consumer = new WorkerEventConsumer(bootstrapServers, config, eventHandler);
            consumerThread = new Thread(consumer, "worker-events-consumer");
            consumerThread.setDaemon(true);
            consumerThread.start();
        }
    }

    private void every(Duration interval, String name, Runnable task) {
        loops.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warnf("%s round failed: %s", name, e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ignored) throws InterruptedException {
        if (loops != null) {
            loops.shutdownNow();
            loops.awaitTermination(5, TimeUnit.SECONDS);
        }
        if (consumer != null) {
            consumer.stop();
            consumerThread.join(5000);
        }
    }
}
