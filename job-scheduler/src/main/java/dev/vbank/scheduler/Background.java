package dev.vbank.scheduler;

import dev.vbank.scheduler.dispatch.Dispatcher;
import dev.vbank.scheduler.dispatch.LeaseReaper;
import dev.vbank.scheduler.dispatch.OutboxPublisher;
import dev.vbank.scheduler.events.EventIntake;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Starts the loops (validate, dispatch, publish: on their interval or when woken; reap: periodic) and the worker-event consumer; stops them on shutdown. */
@ApplicationScoped
public class Background {

    private static final Logger LOG = Logger.getLogger(Background.class);

    private final SchedulerConfig config;
    private final FileValidator validator;
    private final Dispatcher dispatcher;
    private final OutboxPublisher publisher;
    private final LeaseReaper reaper;
    private final WorkerEventHandler eventHandler;
    private final Wakeups wakeups;
    private final EventIntake intake;
    private final String bootstrapServers;
    private final List<Thread> wakeableLoops = new ArrayList<>();
    private volatile boolean stopping;
    private ScheduledExecutorService loops;
    private WorkerEventConsumer consumer;
    private Thread consumerThread;

    public Background(SchedulerConfig config, FileValidator validator, Dispatcher dispatcher, OutboxPublisher publisher,
                      LeaseReaper reaper, WorkerEventHandler eventHandler, Wakeups wakeups, EventIntake intake,
                      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.validator = validator;
        this.dispatcher = dispatcher;
        this.publisher = publisher;
        this.reaper = reaper;
        this.eventHandler = eventHandler;
        this.wakeups = wakeups;
        this.intake = intake;
        this.bootstrapServers = bootstrapServers;
    }

    void start(@Observes StartupEvent ignored) {
        if (config.loopsEnabled()) {
            // the validator blocks on HTTP and the publisher on Kafka acks: each loop has its own thread
            wakeable(Wakeups.Loop.VALIDATE, config.validateInterval(), validator::validateOnce);
            wakeable(Wakeups.Loop.DISPATCH, config.dispatchInterval(), dispatcher::dispatchOnce);
            wakeable(Wakeups.Loop.PUBLISH, config.publishInterval(), publisher::publishOnce);
            loops = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "scheduler-reap");
                t.setDaemon(true);
                return t;
            });
            every(config.reapInterval(), "reap", () -> {
                if (config.consumeEvents()) {
                    if (!intake.hearing()) {
                        return; // heartbeats may be waiting in Kafka: a lease judged now would be judged blind
                    }
                    if (intake.takeRecovery()) {
                        reaper.extendRunningLeases(config.lease());
                    }
                }
                if (!(config.consumeEvents() ? reaper.reapOnce(intake::hears) : reaper.reapOnce()).isEmpty()) {
                    wakeups.wake(Wakeups.Loop.DISPATCH);
                    wakeups.wake(Wakeups.Loop.PUBLISH);
                }
            });
        }
        if (config.consumeEvents()) {
            consumer = new WorkerEventConsumer(bootstrapServers, config, eventHandler, intake);
            consumerThread = new Thread(consumer, "worker-events-consumer");
            consumerThread.setDaemon(true);
            consumerThread.start();
        }
    }

    /** Runs {@code task} every {@code interval}, or at once when woken through {@link Wakeups}. */
    private void wakeable(Wakeups.Loop loop, Duration interval, Runnable task) {
        String name = loop.name().toLowerCase(java.util.Locale.ROOT);
        Thread t = new Thread(() -> {
            while (!stopping) {
                try {
                    wakeups.await(loop, interval);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warnf("%s round failed: %s", name, e.toString());
                }
            }
        }, "scheduler-" + name);
        t.setDaemon(true);
        t.start();
        wakeableLoops.add(t);
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
        stopping = true;
        for (Thread t : wakeableLoops) {
            t.interrupt();
        }
        for (Thread t : wakeableLoops) {
            t.join(5000);
        }
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
