package dev.vbank.worker.eval;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.eval.EvaluationOutcome;
import dev.vbank.common.eval.EvaluationSubject;
import dev.vbank.common.eval.EvaluationWork;
import dev.vbank.common.eval.SuiteTask;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.text.data.DatasetException;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.eval.ScoringTask;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.eval.TaskExamples;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.data.PublicDatasets;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.worker.JobFailure;
import dev.vbank.worker.WorkerConfig;
import dev.vbank.worker.artifacts.ArtifactClient;
import dev.vbank.worker.train.SharedBanks;
import dev.vbank.worker.artifacts.DatasetCache;
import dev.vbank.worker.train.TaskTypes;
import dev.vbank.worker.train.SpecMapper;
import dev.vbank.worker.train.TrainingEngine;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Runs one evaluation item ({@link DispatchJob#evaluation()} set): gets the subject's adapter bytes — the stored adapter,
 * checked against the sha256 the scheduler pinned, or a head-only baseline trained here on the adapter job's training
 * file — and scores them on every task of the suite with text-training's {@link SuiteEvaluator}. Tenant files of
 * {@code file-…} tasks come through the {@link DatasetCache}, public datasets through npm into the worker's data
 * directory. A problem of the item itself is a {@link JobFailure} with its error code; a cancel or a shutdown a
 * {@link CancellationException}.
 */
@ApplicationScoped
public class EvaluationItems {

    /** What the item reports while it runs (the training thread calls it). */
    public interface Reporter {
        void message(String suffix, String text);

        void taskDone(int done, int total, TaskResult result);
    }

    private final WorkerConfig config;
    private final ArtifactClient artifacts;
    private final TrainingEngine engine;
    private final DatasetCache datasets;
    private final Path publicData;
    /** Parsed public datasets (imdb-50k is ~50k rows): read once while memory allows, not once per item. */
    private final Map<String, SoftReference<RawDataset>> publicRows = new ConcurrentHashMap<>();

    public EvaluationItems(WorkerConfig config, ArtifactClient artifacts, TrainingEngine engine) {
        this.config = config;
        this.artifacts = artifacts;
        this.engine = engine;
        this.datasets = new DatasetCache(artifacts, Path.of(config.cacheDir()).resolve("files"),
                config.maxDatasetBytes());
        this.publicData = config.dataDir().map(Path::of).orElseGet(PublicDatasets::defaultDirectory);
    }

    public EvaluationOutcome run(DispatchJob job, Path work, Reporter reporter, BooleanSupplier stop)
            throws IOException, InterruptedException {
        EvaluationWork w = job.evaluation();
        if (w.subject() == null) {
            throw new JobFailure("invalid_evaluation", "the evaluation item names no subject", "evaluation.subject");
        }
        if (w.suite() == null || w.suite().tasks().isEmpty()) {
            throw new JobFailure("invalid_evaluation", "the evaluation item has no suite tasks", "evaluation.suite");
        }
        List<SuiteTask> tasks = w.suite().tasks();
        for (int i = 0; i < tasks.size(); i++) {
            try {
                TaskExamples.checkSplit(ScoringContract.split(tasks.get(i).split()));
            } catch (IllegalArgumentException e) {
                throw new JobFailure("invalid_suite", "task " + tasks.get(i).name() + ": " + e.getMessage(),
                        taskParam(i, "split"));
            }
        }
        byte[] subject = w.subject() == EvaluationSubject.ADAPTER ? storedAdapter(job, w, work)
                : baseline(job, work, reporter, stop);
        CompactFormat.BankSource banks = SharedBanks.source(artifacts, job.tenantId(), work, config.maxDatasetBytes());
        checkAdapter(subject, job, banks);
        reporter.message("evaluating", "Scoring " + describe(w) + " on suite " + w.suite().name() + " version "
                + w.suite().version() + " (" + tasks.size() + " tasks)");
        int[] current = {0};
        List<ScoringTask> scoring = tasks.stream().map(ScoringContract::task).toList();
        SuiteEvaluator.TaskSource source = task -> {
            current[0] = scoring.indexOf(task);
            return examples(job.tenantId(), tasks.get(current[0]), current[0]);
        };
        try {
            return ScoringContract.outcome(engine.evaluator().evaluate(subject, banks, scoring, source,
                    (done, total, score) -> reporter.taskDone(done, total, ScoringContract.result(score)), stop));
        } catch (DatasetException e) {
            throw new JobFailure("invalid_file", "task " + tasks.get(current[0]).name() + ": " + e.getMessage(),
                    taskParam(current[0], "dataset"), e);
        }
    }

    private byte[] storedAdapter(DispatchJob job, EvaluationWork w, Path work) throws IOException {
        if (w.adapterId() == null || w.adapterSha256() == null) {
            throw new JobFailure("invalid_evaluation", "an adapter item needs the adapter id and its sha256",
                    "evaluation.adapter_id");
        }
        Path file = work.resolve("adapter.vbnk");
        ArtifactClient.Download d;
        try {
            d = artifacts.adapterContent(job.tenantId(), w.adapterId(), file, config.maxDatasetBytes());
        } catch (JobFailure e) {
            String code = switch (e.code()) {
                case "not_found" -> "adapter_not_found";
                case "file_corrupted" -> "adapter_corrupted";
                default -> e.code();
            };
            throw new JobFailure(code, "adapter " + w.adapterId() + ": " + e.getMessage(), "evaluation.adapter_id", e);
        }
        if (!d.sha256().equalsIgnoreCase(w.adapterSha256())) {
            throw new JobFailure("adapter_sha256_mismatch", "adapter " + w.adapterId() + " has sha256 " + d.sha256()
                    + " but the evaluation is pinned to " + w.adapterSha256().toLowerCase(Locale.ROOT)
                    + "; results are only recorded for the exact bytes", "evaluation.adapter_sha256");
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.delete(file);
        return bytes;
    }

    private byte[] baseline(DispatchJob job, Path work, Reporter reporter, BooleanSupplier stop) throws IOException {
        if (job.trainingFile() == null) {
            throw new JobFailure("invalid_evaluation", "a head-only baseline needs the adapter job's training file",
                    "training_file");
        }
        RawDataset train = datasets.read(datasets.get(job.tenantId(), job.trainingFile(), "training_file"),
                "training_file");
        RawDataset validation = job.validationFile() == null ? null
                : datasets.read(datasets.get(job.tenantId(), job.validationFile(), "validation_file"),
                        "validation_file");
        TaskType task = TaskTypes.of(train);
        DatasetSplits data;
        try {
            data = DatasetSplits.of(train, validation != null ? validation : train, task);
        } catch (DatasetException e) {
            throw new JobFailure("invalid_file", e.getMessage(), validation != null ? "validation_file"
                    : "training_file", e);
        }
        TrainingSpec spec = SpecMapper.baselineSpec(job, task);
        if (validation != null) {
            // chosen by validation like the adapter it is compared with
            spec = SpecMapper.withDefaultEvalEvery(job, spec, data.train().size());
        }
        reporter.message("baseline", "Training the head-only baseline of " + spec.baseModelId() + " on "
                + job.trainingFile() + " (" + data.train().size() + " rows, seed " + spec.seed() + ")");
        return engine.evaluator().trainBaseline(spec, data.train(), validation != null ? data.validation() : null,
                work.resolve("baseline"), stop);
    }

    /** The bytes must be an adapter of a registered base model, the one the dispatch names. */
    private static void checkAdapter(byte[] bytes, DispatchJob job, CompactFormat.BankSource banks) {
        AdapterWeights a;
        try {
            a = CompactFormat.read(bytes, banks);
        } catch (JobFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw new JobFailure("invalid_adapter", "the adapter is not a readable compact adapter: " + e.getMessage(),
                    "evaluation.adapter_id", e);
        }
        BaseModel bm = BaseModels.find(a.baseModelId()).orElseThrow(() -> new JobFailure("invalid_adapter",
                "the adapter's base model '" + a.baseModelId() + "' is not one this worker has", "model"));
        if (job.model() != null && !job.model().equals(bm.id())) {
            throw new JobFailure("invalid_adapter", "the adapter was trained on " + bm.id() + " but the item names "
                    + job.model(), "model");
        }
        if (a.baseWeightsSha256() != null && !a.baseWeightsSha256().equals(bm.weightsSha256())) {
            throw new JobFailure("invalid_adapter", "the adapter was trained on other weights of " + bm.id() + " ("
                    + a.baseWeightsSha256() + ")", "model");
        }
    }

    private RawDataset examples(String tenant, SuiteTask task, int index) throws IOException, InterruptedException {
        String dataset = task.dataset() == null ? "" : task.dataset();
        String param = taskParam(index, "dataset");
        if (dataset.startsWith(SuiteTask.PUBLIC_PREFIX)) {
            try {
                RawDataset cached = Optional.ofNullable(publicRows.get(dataset)).map(SoftReference::get).orElse(null);
                if (cached == null) {
                    cached = TaskExamples.publicDataset(dataset, publicData);
                    publicRows.put(dataset, new SoftReference<>(cached));
                }
                return cached;
            } catch (IllegalArgumentException e) {
                throw new JobFailure("invalid_suite", "task " + task.name() + ": " + e.getMessage(), param, e);
            } catch (IOException e) {
                throw new JobFailure("dataset_unavailable", "task " + task.name() + ": cannot fetch " + dataset + ": "
                        + e.getMessage(), param, e);
            }
        }
        if (!dataset.startsWith("file-")) {
            throw new JobFailure("invalid_suite", "task " + task.name() + ": dataset '" + dataset
                    + "' is neither public:<name> nor a file id", param);
        }
        DatasetCache.LocalFile f = datasets.get(tenant, dataset, param);
        if (task.datasetSha256() != null && !task.datasetSha256().equalsIgnoreCase(f.sha256())) {
            throw new JobFailure("dataset_changed", "task " + task.name() + ": file " + dataset + " has sha256 "
                    + f.sha256() + " but the suite pinned " + task.datasetSha256(), param);
        }
        return datasets.read(f, param);
    }

    private static String describe(EvaluationWork w) {
        return w.subject() == EvaluationSubject.ADAPTER ? "adapter " + w.adapterId()
                : "the head-only baseline" + (w.adapterId() != null ? " of adapter " + w.adapterId() : "");
    }

    private static String taskParam(int index, String field) {
        return "evaluation.suite.tasks[" + index + "]." + field;
    }
}
