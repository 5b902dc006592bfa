package dev.vbank.scheduler.files;

import dev.vbank.common.job.JobStatus;
import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.scheduler.Wakeups;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.service.db.Db;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Moves jobs out of {@code validating_files}: to {@code queued} when their files are processed, to {@code failed}
 * ({@code invalid_file}) when one is missing or unusable or still not processed after the timeout. The HTTP calls run
 * outside any transaction; the transition then applies only if the job's version is still the one that was checked.
 */
@ApplicationScoped
public class FileValidator {

    private static final Logger LOG = Logger.getLogger(FileValidator.class);

    private final Db db;
    private final JobStore store;
    private final FileChecker checker;
    private final SchedulerConfig config;
    private final Wakeups wakeups;

    public FileValidator(Db db, JobStore store, FileChecker checker, SchedulerConfig config, Wakeups wakeups) {
        this.db = db;
        this.store = store;
        this.checker = checker;
        this.config = config;
        this.wakeups = wakeups;
    }

    /** One round; returns how many jobs left validating_files. */
    public int validateOnce() {
        List<JobRow> jobs = db.tx(c -> {
            List<JobRow> rows = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select * from scheduler.jobs where status = 'validating_files' order by created_at limit ?""")) {
                ps.setInt(1, config.batchSize());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(JobRow.read(rs));
                    }
                }
            }
            return rows;
        });
        int moved = 0;
        // jobs of a round often share files: ask the artifact-service once per file
        Map<String, FileChecker.Result> checked = new HashMap<>();
        for (JobRow job : jobs) {
            try {
                if (validate(job, checked)) {
                    moved++;
                }
            } catch (IOException e) {
                LOG.warnf("cannot check the files of %s yet: %s", job.id(), e.toString());
            }
        }
        if (moved > 0) {
            wakeups.wake(Wakeups.Loop.DISPATCH);
        }
        return moved;
    }

    private FileChecker.Result check(Map<String, FileChecker.Result> checked, String tenant, String file)
            throws IOException {
        String key = tenant + "/" + file;
        FileChecker.Result result = checked.get(key);
        if (result == null) {
            result = checker.check(tenant, file);
            checked.put(key, result);
        }
        return result;
    }

    private boolean validate(JobRow job, Map<String, FileChecker.Result> checked) throws IOException {
        String failedParam = null;
        String reason = null;
        String pending = null;
        FileChecker.Result training = check(checked, job.tenantId(), job.trainingFile());
        if (training.state() == FileChecker.State.INVALID) {
            failedParam = "training_file";
            reason = training.reason();
        } else {
            if (training.state() == FileChecker.State.PENDING) {
                pending = training.reason();
            }
            if (job.validationFile() != null) {
                FileChecker.Result validation = check(checked, job.tenantId(), job.validationFile());
                if (validation.state() == FileChecker.State.INVALID) {
                    failedParam = "validation_file";
                    reason = validation.reason();
                } else if (validation.state() == FileChecker.State.PENDING && pending == null) {
                    pending = validation.reason();
                }
            }
        }
        if (failedParam == null && pending != null) {
            if (job.createdAt().plus(config.fileValidationTimeout()).isAfter(Instant.now())) {
                return false;
            }
            failedParam = pending.contains(job.trainingFile()) ? "training_file" : "validation_file";
            reason = pending + " after " + config.fileValidationTimeout().toSeconds() + " s";
        }
        String param = failedParam;
        String message = reason;
        return db.tx(c -> {
            if (param != null) {
                return store.transition(c, job.id(), JobStatus.VALIDATING_FILES, job.version(), JobStatus.FAILED,
                        JobStore.Sets.none().error("invalid_file", message, param), "File validation failed: " + message)
                        .isPresent();
            }
            return store.transition(c, job.id(), JobStatus.VALIDATING_FILES, job.version(), JobStatus.QUEUED,
                    JobStore.Sets.none(), "Files validated; job queued").isPresent();
        });
    }
}
