package dev.vbank.common.job;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.stream.Stream;

import static dev.vbank.common.job.JobStatus.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobTransitionsTest {

    /** The expected table, spelled out independently of the implementation: from → allowed targets. */
    private static final java.util.Map<JobStatus, Set<JobStatus>> EXPECTED = java.util.Map.of(
            VALIDATING_FILES, Set.of(QUEUED, FAILED, CANCELLED),
            QUEUED, Set.of(RUNNING, CANCELLED, FAILED),
            RUNNING, Set.of(SUCCEEDED, FAILED, CANCELLING, QUEUED),
            CANCELLING, Set.of(CANCELLED, SUCCEEDED, FAILED),
            SUCCEEDED, Set.of(),
            FAILED, Set.of(),
            CANCELLED, Set.of());

    static Stream<Arguments> everyPair() {
        return Stream.of(JobStatus.values())
                .flatMap(from -> Stream.of(JobStatus.values()).map(to -> Arguments.of(from, to)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void everyPairIsAllowedExactlyWhenTheTableSaysSo(JobStatus from, JobStatus to) {
        boolean expected = EXPECTED.get(from).contains(to);
        assertThat(JobTransitions.isAllowed(from, to)).isEqualTo(expected);
        if (expected) {
            JobTransitions.check(from, to);
            assertThat(JobTransitions.allowedSources(to)).contains(from);
        } else {
            assertThatThrownBy(() -> JobTransitions.check(from, to))
                    .isInstanceOf(IllegalJobTransitionException.class)
                    .hasMessageContaining("'" + from.wireName() + "'")
                    .hasMessageContaining("'" + to.wireName() + "'");
            assertThat(JobTransitions.allowedSources(to)).doesNotContain(from);
        }
    }

    @Test
    void terminalStatesHaveNoWayOut() {
        for (JobStatus s : JobStatus.values()) {
            assertThat(s.isTerminal()).isEqualTo(JobTransitions.allowedTargets(s).isEmpty());
            assertThat(JobStatus.isTerminal(s.wireName())).isEqualTo(s.isTerminal());
        }
        assertThat(JobStatus.isTerminal("SUCCEEDED")).isFalse();
        assertThat(JobStatus.isTerminal((String) null)).isFalse();
    }

    @Test
    void wireNamesRoundTrip() {
        for (JobStatus s : JobStatus.values()) {
            assertThat(JobStatus.fromWireName(s.wireName())).isSameAs(s);
        }
        assertThatThrownBy(() -> JobStatus.fromWireName("RUNNING")).hasMessageContaining("unknown job status");
    }
}
