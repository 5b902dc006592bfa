package dev.vbank.common.kafka;

import java.util.List;

/** Kafka topic names; every record is keyed by job id so one job's records stay ordered in one partition. */
public final class Topics {
    /** scheduler (outbox) → gpu-worker consumer group: a job attempt to run. */
    public static final String JOB_DISPATCH = "vbank.jobs.dispatch";
    /** gpu-worker → scheduler: progress, heartbeats and state changes. */
    public static final String JOB_EVENTS = "vbank.jobs.events";
    /** scheduler → gpu-workers: cancellation. */
    public static final String JOB_CONTROL = "vbank.jobs.control";

    public static final List<String> ALL = List.of(JOB_DISPATCH, JOB_EVENTS, JOB_CONTROL);

    private Topics() {
    }
}
