package dev.vbank.common.job;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.vbank.common.job.JobStatus.*;

/**
 * The allowed job state changes, written down once. The scheduler enforces them in the database with a conditional update
 * ({@code UPDATE ... WHERE status IN (allowed sources) AND version = ?}); see {@link #allowedSources(JobStatus)}.
 */
public final class JobTransitions {

    private static final Map<JobStatus, Set<JobStatus>> ALLOWED = new EnumMap<>(JobStatus.class);

    static {
        ALLOWED.put(VALIDATING_FILES, EnumSet.of(QUEUED, FAILED, CANCELLED));
        // queued -> queued is not a change; a requeue after an expired lease goes running -> queued.
        ALLOWED.put(QUEUED, EnumSet.of(RUNNING, CANCELLED, FAILED));
        ALLOWED.put(RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLING, QUEUED));
        ALLOWED.put(CANCELLING, EnumSet.of(CANCELLED, SUCCEEDED, FAILED));
        ALLOWED.put(SUCCEEDED, EnumSet.noneOf(JobStatus.class));
        ALLOWED.put(FAILED, EnumSet.noneOf(JobStatus.class));
        ALLOWED.put(CANCELLED, EnumSet.noneOf(JobStatus.class));
    }

    private JobTransitions() {
    }

    public static boolean isAllowed(JobStatus from, JobStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    public static Set<JobStatus> allowedTargets(JobStatus from) {
        return Collections.unmodifiableSet(ALLOWED.get(from));
    }

    /** The states from which {@code to} may be entered: the WHERE clause of a conditional status update. */
    public static Set<JobStatus> allowedSources(JobStatus to) {
        EnumSet<JobStatus> sources = EnumSet.noneOf(JobStatus.class);
        ALLOWED.forEach((from, targets) -> {
            if (targets.contains(to)) {
                sources.add(from);
            }
        });
        return Collections.unmodifiableSet(sources);
    }

    public static void check(JobStatus from, JobStatus to) {
        if (!isAllowed(from, to)) {
            throw new IllegalJobTransitionException(from, to);
        }
    }
}
