package dev.vbank.scheduler.eval;

import dev.vbank.common.eval.EvaluationOutcome;
import dev.vbank.common.eval.EvaluationSubject;
import dev.vbank.common.eval.SuiteTask;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.common.spec.Hyperparameter;
import dev.vbank.common.spec.Hyperparameters;
import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.scheduler.jobs.Ids;
import dev.vbank.scheduler.jobs.JobQuota;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobService;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Conflict;
import dev.vbank.service.error.DomainException;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The transactions of evaluations: suites, creating a batch (all items or none), cancelling it, and applying what workers
 * report for its items. Artifact-service look-ups happen before the writing transaction opens.
 */
@ApplicationScoped
public class EvaluationService {

    public record Created(EvaluationStore.EvaluationRow evaluation, boolean replayed) {
    }

    private static final Logger LOG = Logger.getLogger(EvaluationService.class);

    private final Db db;
    private final EvaluationStore store;
    private final JobStore jobs;
    private final JobService jobService;
    private final ArtifactLookup artifacts;
    private final SchedulerConfig config;
    private final JobQuota quota;

    public EvaluationService(Db db, EvaluationStore store, JobStore jobs, JobService jobService, ArtifactLookup artifacts,
                             SchedulerConfig config, JobQuota quota) {
        this.db = db;
        this.store = store;
        this.jobs = jobs;
        this.jobService = jobService;
        this.artifacts = artifacts;
        this.config = config;
        this.quota = quota;
    }


    // ---- suites

    /** A tenant suite: the next version of its name. Task files must be the tenant's processed files; their sha256 is pinned. */
    public EvaluationStore.SuiteRow createSuite(String tenant, EvaluationRequestParser.NewSuite suite) {
        if (db.tx(c -> store.isBuiltInName(c, suite.name()))) {
            throw Invalid.of("name", "'" + suite.name() + "' is the name of a built-in suite");
        }
        List<SuiteTask> pinned = new ArrayList<>();
        for (int i = 0; i < suite.tasks().size(); i++) {
            SuiteTask t = suite.tasks().get(i);
            if (t.dataset().startsWith(SuiteTask.PUBLIC_PREFIX)) {
                pinned.add(t);
                continue;
            }
            String param = "tasks[" + i + "].dataset";
            ArtifactLookup.File file = artifacts.file(tenant, t.dataset())
                    .orElseThrow(() -> new NotFound("file_not_found", "no file " + t.dataset(), param));
            if (!"processed".equals(file.status()) || file.sha256() == null) {
                throw Invalid.of(param, "file " + t.dataset() + " is " + file.status()
                        + "; a suite may use only processed files");
            }
            pinned.add(new SuiteTask(t.name(), t.dataset(), file.sha256(), t.taskType(), t.metrics(), t.split()));
        }
        return db.tx(c -> store.insertSuite(c, Ids.random("suite"), tenant, suite.name(), suite.description(), pinned));
    }

    // ---- create

    private record Plan(EvaluationStore.SuiteRow suite, List<String> adapterIds, Created replay) {
    }

    /**
     * Creates the evaluation and all its items in one transaction, or nothing. An item whose results are all stored already
     * (same subject, adapter sha256 and suite version) is created as succeeded and never dispatched. A new evaluation is
     * admitted under the tenant's job {@code limits} (429 when it has no room): checked first, so a refused request costs
     * no artifact-service look-ups, and again in the writing transaction under the tenant's lock; a replay is never refused.
     */
    public Created create(String tenant, EvaluationRequest request, String idempotencyKey, JobQuota.Limits limits) {
        String hash = request.hash();
        Plan plan = db.tx(c -> {
            if (idempotencyKey != null) {
                Optional<EvaluationStore.EvaluationRow> existing = store.byIdempotencyKey(c, tenant, idempotencyKey);
                if (existing.isPresent()) {
                    return new Plan(null, null, replay(existing.get(), hash));
                }
            }
            quota.check(c, tenant, limits);
            EvaluationStore.SuiteRow suite = store.resolve(c, tenant, request.suite())
                    .orElseThrow(() -> EvaluationErrors.suiteNotFound(request.suite(), "suite"));
            LinkedHashSet<String> adapters = new LinkedHashSet<>(request.adapters());
            for (String jobId : request.jobs()) {
                JobRow job = jobs.find(c, tenant, jobId)
                        .orElseThrow(() -> new NotFound("job_not_found", "no fine-tuning job " + jobId, "jobs"));
                if (job.status() != JobStatus.SUCCEEDED || job.adapterId() == null) {
                    throw Invalid.of("jobs", "fine-tuning job " + jobId + " is " + job.status().wireName()
                            + "; only succeeded jobs have an adapter to evaluate");
                }
                adapters.add(job.adapterId());
            }
            if (!request.adapterFilter().isEmpty()) {
                adapters.addAll(filtered(c, tenant, request.adapterFilter()));
            }
            if (adapters.isEmpty()) {
                throw Invalid.of("adapters", "no adapter to evaluate: the adapter_filter matched no succeeded"
                        + " fine-tuning job");
            }
            int items = adapters.size() * (1 + request.baselines().size());
            if (items > EvaluationRequest.MAX_ITEMS) {
                throw Invalid.of("adapters", "the evaluation would have " + items + " items (adapters x"
                        + " subjects); at most " + EvaluationRequest.MAX_ITEMS + " are allowed");
            }
            return new Plan(suite, List.copyOf(adapters), null);
        });
        if (plan.replay() != null) {
            return plan.replay();
        }
        List<ArtifactLookup.Adapter> adapters = new ArrayList<>();
        for (String id : plan.adapterIds()) {
            ArtifactLookup.Adapter a = artifacts.adapter(tenant, id).orElseThrow(() -> new NotFound(
                    "adapter_not_found", "no adapter " + id, request.adapters().contains(id) ? "adapters" : "jobs"));
            adapters.add(a);
        }
        return db.tx(c -> {
            quota.lock(c, tenant, limits);
            if (idempotencyKey != null) {
                Optional<EvaluationStore.EvaluationRow> existing = store.byIdempotencyKey(c, tenant, idempotencyKey);
                if (existing.isPresent()) {
                    return replay(existing.get(), hash);
                }
            }
            quota.check(c, tenant, limits);
            Optional<EvaluationStore.EvaluationRow> inserted = insertBatch(c, tenant, plan.suite(), adapters,
                    request.baselines(), request.metadata(), null, idempotencyKey, idempotencyKey == null ? null : hash,
                    "adapters");
            if (inserted.isEmpty()) {
                return replay(store.byIdempotencyKey(c, tenant, idempotencyKey).orElseThrow(), hash);
            }
            return new Created(inserted.get(), false);
        });
    }

    private List<String> filtered(Connection c, String tenant, Map<String, String> metadata) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select adapter_id from scheduler.jobs where tenant_id = ? and kind = 'fine_tune' and status = 'succeeded'
                and adapter_id is not null and metadata @> ?::jsonb order by created_at, id limit ?""")) {
            ps.setString(1, tenant);
            ps.setString(2, JobStore.json(metadata));
            ps.setInt(3, EvaluationRequest.MAX_ITEMS + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }

    private Optional<EvaluationStore.EvaluationRow> insertBatch(Connection c, String tenant, EvaluationStore.SuiteRow suite,
                                                                List<ArtifactLookup.Adapter> adapters,
                                                                List<String> baselines, Map<String, String> metadata,
                                                                String sourceJobId, String idempotencyKey, String hash,
                                                                String param) throws SQLException {
        List<EvaluationStore.NewItem> items = new ArrayList<>();
        int position = 0;
        for (ArtifactLookup.Adapter a : adapters) {
            if (a.sha256() == null || a.jobId() == null || a.baseModel() == null) {
                throw Invalid.of(param, "adapter " + a.id() + " has no sha256, job or base model");
            }
            JobRow job = jobs.find(c, tenant, a.jobId()).orElse(null);
            items.add(new EvaluationStore.NewItem(Ids.random("evitem"), position++, a.id(), EvaluationSubject.ADAPTER,
                    a.sha256(), a.jobId(), a.method(), a.baseModel(), null, null, Map.of(), job == null ? 0 : job.seed()));
            if (baselines.contains(EvaluationRequest.HEAD_ONLY)) {
                if (job == null) {
                    throw Invalid.of(param, "adapter " + a.id() + " has no fine-tuning job to take the"
                            + " head_only baseline's training from");
                }
                Map<String, Object> hyperparameters = new LinkedHashMap<>(job.hyperparameters());
                hyperparameters.keySet().retainAll(Hyperparameters.of(MethodType.HEAD_ONLY).stream()
                        .map(Hyperparameter::name).toList());
                items.add(new EvaluationStore.NewItem(Ids.random("evitem"), position++, a.id(),
                        EvaluationSubject.BASELINE_HEAD_ONLY, a.sha256(), a.jobId(), a.method(), a.baseModel(),
                        job.trainingFile(), job.validationFile(), hyperparameters, job.seed()));
            }
        }
        Optional<EvaluationStore.EvaluationRow> evaluation = store.insertEvaluation(c, Ids.random("eval"), tenant,
                suite.id(), baselines, metadata, sourceJobId, idempotencyKey, hash);
        if (evaluation.isEmpty()) {
            return evaluation;
        }
        Set<String> taskNames = new HashSet<>(suite.tasks().stream().map(SuiteTask::name).toList());
        for (EvaluationStore.NewItem item : items) {
            boolean cached = store.results(c, item.subject(), item.subjectSha256(), suite.id(), suite.version()).stream()
                    .map(EvaluationStore.ResultRow::task).collect(java.util.stream.Collectors.toSet())
                    .containsAll(taskNames);
            store.insertItem(c, tenant, evaluation.get().id(), item, taskNames.size(), cached, config.maxAttempts());
            JobRow row = jobs.lock(c, item.id()).orElseThrow();
            jobs.appendStateEvent(c, row, cached
                    ? "Evaluation item of " + item.adapterId() + " (" + item.subject().wireName() + ") completed from"
                    + " stored results of suite " + suite.name() + "@" + suite.version()
                    : "Evaluation item of " + item.adapterId() + " (" + item.subject().wireName() + ") queued");
        }
        return evaluation;
    }

    private static Created replay(EvaluationStore.EvaluationRow existing, String hash) {
        if (!hash.equals(existing.requestHash())) {
            throw new Conflict("idempotency_key_reused",
                    "this Idempotency-Key was already used with a different request body", "Idempotency-Key");
        }
        return new Created(existing, true);
    }

    // ---- auto-evaluation

    /**
     * The adapter a succeeded fine-tuning job's auto-evaluation will score, read before the event's transaction; empty when
     * the job asked for no evaluation.
     */
    public Optional<ArtifactLookup.Adapter> adapterForAutoEvaluation(JobRow job, String adapterId) {
        if (job.isEvaluationItem() || job.evaluationRequest() == null || job.evaluationId() != null || adapterId == null) {
            return Optional.empty();
        }
        Optional<ArtifactLookup.Adapter> adapter = artifacts.adapter(job.tenantId(), adapterId);
        if (adapter.isEmpty()) {
            LOG.warnf("job %s succeeded with adapter %s, which the artifact-service does not know: no evaluation",
                    job.id(), adapterId);
        }
        return adapter;
    }

    /** Creates the evaluation a job asked for, in the transaction that marks it succeeded; returns its id. */
    public Optional<String> createForSucceededJob(Connection c, JobRow job, ArtifactLookup.Adapter adapter)
            throws SQLException {
        Map<String, Object> request = job.evaluationRequest();
        String suiteId = String.valueOf(request.get("suite_id"));
        EvaluationStore.SuiteRow suite = store.suite(c, job.tenantId(), suiteId).orElse(null);
        if (suite == null) {
            LOG.warnf("job %s asked for an evaluation on suite %s, which is gone", job.id(), suiteId);
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        List<String> baselines = (List<String>) request.getOrDefault("baselines", List.of());
        @SuppressWarnings("unchecked")
        Map<String, String> metadata = (Map<String, String>) request.getOrDefault("metadata", Map.of());
        try {
            EvaluationStore.EvaluationRow evaluation = insertBatch(c, job.tenantId(), suite, List.of(adapter), baselines,
                    metadata, job.id(), null, null, "evaluation").orElseThrow();
            try (PreparedStatement ps = c.prepareStatement("update scheduler.jobs set evaluation_id = ? where id = ?")) {
                ps.setString(1, evaluation.id());
                ps.setString(2, job.id());
                ps.executeUpdate();
            }
            return Optional.of(evaluation.id());
        } catch (DomainException e) {
            LOG.warnf("cannot create the evaluation job %s asked for: %s", job.id(), e.getMessage());
            return Optional.empty();
        }
    }

    // ---- worker reports

    /**
     * Applies an evaluation item's SUCCEEDED event in the caller's transaction: stores its results (idempotently; a result
     * that exists already is kept) and marks the item succeeded, or failed when the outcome is unusable.
     */
    public Optional<JobRow> applySucceeded(Connection c, JobRow job, Map<String, Object> data) throws SQLException {
        EvaluationStore.ItemRow item = store.item(c, job.id()).orElseThrow();
        String suiteId = evaluationSuiteId(c, item.evaluationId());
        EvaluationStore.SuiteRow suite = store.suite(c, job.tenantId(), suiteId).orElseThrow();
        String problem = null;
        EvaluationOutcome outcome = null;
        Object raw = data.get(EvaluationOutcome.EVENT_DATA_KEY);
        if (raw == null) {
            problem = "the worker reported no evaluation outcome";
        } else {
            try {
                outcome = Json.mapper().convertValue(raw, EvaluationOutcome.class);
            } catch (IllegalArgumentException e) {
                problem = "the worker's evaluation outcome is unreadable: " + e.getMessage();
            }
        }
        Map<String, TaskResult> byTask = new LinkedHashMap<>();
        if (outcome != null) {
            for (TaskResult r : outcome.tasks()) {
                byTask.put(r.task(), r);
            }
            for (SuiteTask t : suite.tasks()) {
                TaskResult r = byTask.get(t.name());
                if (r == null) {
                    problem = "the worker reported no result for task " + t.name();
                } else if (!TaskResult.SUCCEEDED.equals(r.status()) && !TaskResult.SKIPPED.equals(r.status())) {
                    problem = "task " + t.name() + " has status " + r.status();
                }
            }
            if (item.subject() == EvaluationSubject.ADAPTER && !item.subjectSha256().equals(outcome.subjectSha256())) {
                problem = "the worker scored bytes with sha256 " + outcome.subjectSha256() + ", not adapter "
                        + item.adapterId() + " (" + item.subjectSha256() + ")";
            }
        }
        if (problem != null) {
            return jobs.transition(c, job.id(), null, null, JobStatus.FAILED,
                    JobStore.Sets.none().error("invalid_evaluation_outcome", problem, null),
                    "Evaluation item failed: " + problem);
        }
        for (SuiteTask t : suite.tasks()) {
            store.insertResult(c, item.subject(), item.subjectSha256(), suite.id(), suite.version(), byTask.get(t.name()),
                    outcome.subjectSha256(), outcome.storedBytes(), outcome.trainableParameters(),
                    outcome.storedParameters(), item.id());
        }
        store.completeProgress(c, item.id());
        return jobs.transition(c, job.id(), null, null, JobStatus.SUCCEEDED, JobStore.Sets.none(),
                "Evaluation item succeeded; " + suite.tasks().size() + " task result(s) stored");
    }

    /** A PROGRESS event of an evaluation item: {@code tasks_done} of {@code tasks_total}. */
    public void applyProgress(Connection c, JobRow job, Map<String, Object> data) throws SQLException {
        if (data.get("tasks_done") instanceof Number done) {
            store.progress(c, job.id(), done.intValue());
        }
    }

    private static String evaluationSuiteId(Connection c, String evaluationId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select suite_id from scheduler.evaluations where id = ?")) {
            ps.setString(1, evaluationId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    // ---- cancel

    /** Cancels every item that has not finished; cancelling a cancelled evaluation again is harmless. */
    public EvaluationStore.EvaluationRow cancel(String tenant, String id) {
        return db.tx(c -> {
            EvaluationStore.EvaluationRow evaluation = store.evaluation(c, tenant, id)
                    .orElseThrow(() -> EvaluationErrors.evaluationNotFound(id));
            try (PreparedStatement ps = c.prepareStatement(
                    "select id from scheduler.evaluations where id = ? for update")) {
                ps.setString(1, id);
                ps.executeQuery().close();
            }
            List<EvaluationStore.ItemRow> items = store.items(c, id);
            boolean open = items.stream().anyMatch(i -> !i.status().isTerminal());
            if (!open && evaluation.cancelledAt() == null) {
                throw new Conflict("evaluation_not_cancellable", "evaluation " + id + " has finished", null);
            }
            for (EvaluationStore.ItemRow item : items) {
                JobRow row = jobs.lock(c, item.id()).orElseThrow();
                if (!row.status().isTerminal()) {
                    jobService.cancelLocked(c, row);
                }
            }
            store.markCancelled(c, id);
            return store.evaluation(c, tenant, id).orElseThrow();
        });
    }
}
