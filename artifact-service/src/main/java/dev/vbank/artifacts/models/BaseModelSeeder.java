package dev.vbank.artifacts.models;

import dev.vbank.artifacts.ArtifactsConfig;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Seeds the bucket with the registry's base models after start, on one background thread: conversion takes seconds
 * per model, and nothing but {@code /internal/base-models/{id}/weights} needs them (until then it answers 503
 * {@code base_model_not_ready}), so readiness is not held back.
 */
@ApplicationScoped
public class BaseModelSeeder {

    private static final Logger LOG = Logger.getLogger(BaseModelSeeder.class);

    private final BaseModelService models;
    private final ArtifactsConfig config;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Thread thread;

    public BaseModelSeeder(BaseModelService models, ArtifactsConfig config) {
        this.models = models;
        this.config = config;
    }

    void start(@Observes StartupEvent ignored) {
        if (!config.baseModels().seed()) {
            done.countDown();
            return;
        }
        List<BaseModel> toSeed = config.baseModels().ids().map(ids -> ids.stream().map(BaseModels::get).toList())
                .orElse(BaseModels.all());
        thread = new Thread(() -> {
            try {
                for (BaseModel m : toSeed) {
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    try {
                        models.seed(m);
                    } catch (Exception e) {
                        LOG.errorf(e, "cannot seed base model %s", m.id());
                        models.failed(m, e);
                    }
                }
            } finally {
                done.countDown();
            }
        }, "base-model-seeder");
        thread.setDaemon(true);
        thread.start();
    }

    /** For tests and operators: waits until the seeding round has finished. */
    public boolean awaitSeeded(long timeout, TimeUnit unit) throws InterruptedException {
        return done.await(timeout, unit);
    }

    void stop(@Observes ShutdownEvent ignored) throws InterruptedException {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            t.join(5000);
        }
    }
}
