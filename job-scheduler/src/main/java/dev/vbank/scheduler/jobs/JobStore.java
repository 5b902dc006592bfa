package dev.vbank.scheduler.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.job.JobTransitions;
import dev.vbank.common.json.Json;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The SQL of the job tables. Every method runs on the caller's connection, inside the caller's transaction. */
@ApplicationScoped
public class JobStore {

    /** Extra assignments for a status change: {@code column = ?} fragments with their values, or raw SQL. */
    public static final class Sets {
        private final List<String> fragments = new ArrayList<>();
        private final List<Object> values = new ArrayList<>();

        public static Sets none() {
            return new Sets();
        }

        public Sets set(String column, Object value) {
            fragments.add(column + " = ?");
            values.add(value);
            return this;
        }

        public Sets setJson(String column, Object value) {
            fragments.add(column + " = ?::jsonb");
            values.add(json(value));
            return this;
        }

        public Sets raw(String sql) {
            fragments.add(sql);
            return this;
        }

        public Sets error(String code, String message, String param) {
            return set("error_code", code).set("error_message", message).set("error_param", param);
        }
    }

    /** A tenant's jobs waiting to start (validating files or queued) and running (or cancelling). */
    public record OpenCounts(long queued, long running) {
    }

    public record Page<T>(List<T> data, boolean hasMore) {
    }

    public record EventRow(String id, String jobId, long seq, Instant createdAt, EventLevel level, EventType type,
                           String message, Map<String, Object> data) {
        public JobEvent toApi() {
            return new JobEvent(id, JobEvent.OBJECT, createdAt.getEpochSecond(), level, type, message, data);
        }
    }

    public record CheckpointRow(String jobId, long step, String objectKey, long bytes, String sha256, Instant createdAt) {
    }

    // ---- jobs

    /** Inserts a job; empty when (tenant, idempotency key) already exists. */
    public Optional<JobRow> insert(Connection c, String id, String tenant, NewJob job, long seed, int maxAttempts,
                                   String idempotencyKey, String requestHash, Map<String, Object> evaluationRequest)
            throws SQLException {
        String sql = """
                insert into scheduler.jobs (id, tenant_id, status, max_attempts, model, training_file, validation_file,
                    method_type, hyperparameters, suffix, seed, metadata, idempotency_key, request_hash, evaluation_request)
                values (?, ?, 'validating_files', ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::jsonb, ?, ?, ?::jsonb)
                on conflict (tenant_id, idempotency_key) do nothing
                returning *""";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 0;
            ps.setString(++i, id);
            ps.setString(++i, tenant);
            ps.setInt(++i, maxAttempts);
            ps.setString(++i, job.model());
            ps.setString(++i, job.trainingFile());
            ps.setString(++i, job.validationFile());
            ps.setString(++i, job.methodType().wireName());
            ps.setString(++i, json(job.hyperparameters()));
            ps.setString(++i, job.suffix());
            ps.setLong(++i, seed);
            ps.setString(++i, json(job.metadata()));
            ps.setString(++i, idempotencyKey);
            ps.setString(++i, requestHash);
            ps.setString(++i, evaluationRequest == null ? null : json(evaluationRequest));
            return one(ps);
        }
    }

    public Optional<JobRow> findByIdempotencyKey(Connection c, String tenant, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select * from scheduler.jobs where tenant_id = ? and idempotency_key = ? and kind = 'fine_tune'")) {
            ps.setString(1, tenant);
            ps.setString(2, key);
            return one(ps);
        }
    }

    /**
     * A tenant's fine-tuning job; another tenant's job, and an evaluation item (kind evaluation), are indistinguishable
     * from a missing one.
     */
    public Optional<JobRow> find(Connection c, String tenant, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select * from scheduler.jobs where tenant_id = ? and id = ? and kind = 'fine_tune'")) {
            ps.setString(1, tenant);
            ps.setString(2, id);
            return one(ps);
        }
    }

    /** Any job or evaluation item by id, without a lock. */
    public Optional<JobRow> lockless(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select * from scheduler.jobs where id = ?")) {
            ps.setString(1, id);
            return one(ps);
        }
    }

    public Optional<JobRow> lock(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select * from scheduler.jobs where id = ? for update")) {
            ps.setString(1, id);
            return one(ps);
        }
    }

    /**
     * The one way a job's status changes: a conditional UPDATE whose WHERE clause admits only the states
     * {@link JobTransitions#allowedSources} lists for {@code to} (and, when given, the expected current status and
     * version). Returns the updated row when it applied; appends a {@code state} event then.
     * Entering {@code queued} or a terminal state drops the lease; a terminal state stamps {@code finished_at}.
     */
    public Optional<JobRow> transition(Connection c, String jobId, JobStatus expectedFrom, Long expectedVersion,
                                       JobStatus to, Sets sets, String message) throws SQLException {
        Set<JobStatus> sources = JobTransitions.allowedSources(to);
        if (sources.isEmpty() || (expectedFrom != null && !sources.contains(expectedFrom))) {
            return Optional.empty();
        }
        StringBuilder sql = new StringBuilder("update scheduler.jobs set status = ?, version = version + 1");
        for (String f : sets.fragments) {
            sql.append(", ").append(f);
        }
        if (to == JobStatus.QUEUED || to.isTerminal()) {
            sql.append(", lease_owner = null, lease_token = null, lease_expires_at = null");
        }
        if (to.isTerminal()) {
            sql.append(", finished_at = clock_timestamp()");
        }
        sql.append(" where id = ? and status in (")
                .append(sources.stream().map(s -> "?").collect(Collectors.joining(", "))).append(")");
        if (expectedFrom != null) {
            sql.append(" and status = ?");
        }
        if (expectedVersion != null) {
            sql.append(" and version = ?");
        }
        sql.append(" returning *");
        Optional<JobRow> updated;
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 0;
            ps.setString(++i, to.wireName());
            for (Object v : sets.values) {
                ps.setObject(++i, v);
            }
            ps.setString(++i, jobId);
            for (JobStatus s : sources) {
                ps.setString(++i, s.wireName());
            }
            if (expectedFrom != null) {
                ps.setString(++i, expectedFrom.wireName());
            }
            if (expectedVersion != null) {
                ps.setLong(++i, expectedVersion);
            }
            updated = one(ps);
        }
        if (updated.isPresent()) {
            appendStateEvent(c, updated.get(), message);
        }
        return updated;
    }

    public void appendStateEvent(Connection c, JobRow job, String message) throws SQLException {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("status", job.status().wireName());
        data.put("attempt", job.attempt());
        if (job.errorCode() != null && job.status() == JobStatus.FAILED) {
            data.put("error_code", job.errorCode());
        }
        EventLevel level = job.status() == JobStatus.FAILED ? EventLevel.ERROR : EventLevel.INFO;
        // one state event per version: a retried transaction cannot log the same change twice
        appendEvent(c, "ftevent-state-" + job.id() + "-" + job.version(), job.id(), null, level, EventType.STATE,
                message != null ? message : "Job is " + job.status().wireName(), data);
    }

    /** One index scan of {@code jobs_open_tenant_idx}. */
    public OpenCounts openCounts(Connection c, String tenant) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select count(*) filter (where status in ('validating_files', 'queued')),
                       count(*) filter (where status in ('running', 'cancelling'))
                from scheduler.jobs
                where tenant_id = ? and status in ('validating_files', 'queued', 'running', 'cancelling')
                  and kind = 'fine_tune'""")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new OpenCounts(rs.getLong(1), rs.getLong(2));
            }
        }
    }

    public Page<JobRow> list(Connection c, String tenant, String afterId, int limit, Map<String, String> metadata)
            throws SQLException {
        StringBuilder sql = new StringBuilder("select * from scheduler.jobs j where tenant_id = ? and kind = 'fine_tune'");
        List<Object> args = new ArrayList<>(List.of(tenant));
        if (!metadata.isEmpty()) {
            sql.append(" and metadata @> ?::jsonb");
            args.add(json(metadata));
        }
        if (afterId != null) {
            sql.append(" and (created_at, id) < (select a.created_at, a.id from scheduler.jobs a"
                    + " where a.tenant_id = ? and a.id = ? and a.kind = 'fine_tune')");
            args.add(tenant);
            args.add(afterId);
        }
        sql.append(" order by created_at desc, id desc limit ?");
        args.add(limit + 1);
        List<JobRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(JobRow.read(rs));
                }
            }
        }
        return page(rows, limit);
    }

    // ---- events

    /** Inserts an event unless its id is already there; true when it was new. */
    public boolean appendEvent(Connection c, String id, String jobId, Instant createdAt, EventLevel level, EventType type,
                               String message, Map<String, Object> data) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.job_events (id, job_id, created_at, level, type, message, data)
                values (?, ?, coalesce(?, clock_timestamp()), ?, ?, ?, ?::jsonb)
                on conflict (id) do nothing""")) {
            ps.setString(1, id);
            ps.setString(2, jobId);
            ps.setTimestamp(3, createdAt == null ? null : Timestamp.from(createdAt));
            ps.setString(4, level.wireName());
            ps.setString(5, type.wireName());
            ps.setString(6, message);
            ps.setString(7, json(data == null ? Map.of() : data));
            return ps.executeUpdate() == 1;
        }
    }

    public Optional<Long> eventSeq(Connection c, String jobId, String eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select seq from scheduler.job_events where job_id = ? and id = ?")) {
            ps.setString(1, jobId);
            ps.setString(2, eventId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    /** A job's events in the order they were recorded, after the event with sequence {@code afterSeq}. */
    public Page<EventRow> events(Connection c, String jobId, long afterSeq, int limit) throws SQLException {
        List<EventRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "select * from scheduler.job_events where job_id = ? and seq > ? order by seq limit ?")) {
            ps.setString(1, jobId);
            ps.setLong(2, afterSeq);
            ps.setInt(3, limit + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new EventRow(rs.getString("id"), rs.getString("job_id"), rs.getLong("seq"),
                            rs.getTimestamp("created_at").toInstant(),
                            EventLevel.valueOf(rs.getString("level").toUpperCase(java.util.Locale.ROOT)),
                            EventType.valueOf(rs.getString("type").toUpperCase(java.util.Locale.ROOT)),
                            rs.getString("message"), readMap(rs.getString("data"))));
                }
            }
        }
        return page(rows, limit);
    }

    // ---- checkpoints

    /** Records a checkpoint (idempotent per job and step) and makes it the job's resume point when it is the newest. */
    public void addCheckpoint(Connection c, String jobId, long step, String objectKey, long bytes, String sha256)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.checkpoints (job_id, step, object_key, bytes, sha256) values (?, ?, ?, ?, ?)
                on conflict (job_id, step) do nothing""")) {
            ps.setString(1, jobId);
            ps.setLong(2, step);
            ps.setString(3, objectKey);
            ps.setLong(4, bytes);
            ps.setString(5, sha256);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update scheduler.jobs set last_checkpoint_key = ?, last_checkpoint_step = ?
                where id = ? and (last_checkpoint_step is null or last_checkpoint_step < ?)""")) {
            ps.setString(1, objectKey);
            ps.setLong(2, step);
            ps.setString(3, jobId);
            ps.setLong(4, step);
            ps.executeUpdate();
        }
    }

    public List<CheckpointRow> checkpoints(Connection c, String jobId) throws SQLException {
        List<CheckpointRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "select * from scheduler.checkpoints where job_id = ? order by step")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new CheckpointRow(rs.getString("job_id"), rs.getLong("step"), rs.getString("object_key"),
                            rs.getLong("bytes"), rs.getString("sha256"), rs.getTimestamp("created_at").toInstant()));
                }
            }
        }
        return rows;
    }

    // ---- outbox

    /** Queues a Kafka record; it is published after this transaction commits (and only if it does). */
    public void enqueue(Connection c, String topic, String key, Object payload) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "insert into scheduler.outbox (topic, key, payload) values (?, ?, ?::jsonb)")) {
            ps.setString(1, topic);
            ps.setString(2, key);
            ps.setString(3, json(payload));
            ps.executeUpdate();
        }
    }

    // ---- helpers

    static Optional<JobRow> one(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(JobRow.read(rs)) : Optional.empty();
        }
    }

    private static <T> Page<T> page(List<T> rows, int limit) {
        boolean more = rows.size() > limit;
        return new Page<>(more ? List.copyOf(rows.subList(0, limit)) : List.copyOf(rows), more);
    }

    public static String json(Object value) {
        try {
            return Json.mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Map<String, Object> readMap(String text) {
        try {
            Map<String, Object> map = new LinkedHashMap<>(Json.mapper().readValue(text,
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {
                    }));
            // JobEvent copies its data with Map.copyOf, which refuses nulls
            map.values().removeIf(java.util.Objects::isNull);
            return map;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
