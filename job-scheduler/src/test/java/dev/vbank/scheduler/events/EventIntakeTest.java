package dev.vbank.scheduler.events;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EventIntakeTest {

    @Test
    void eachReturnToHearingAsksOnceForTheLeasesToBeExtended() {
        EventIntake intake = new EventIntake();
        assertThat(intake.hearing()).isFalse();
        assertThat(intake.deafBecause()).contains("not started");
        assertThat(intake.takeRecovery()).isFalse();

        intake.hears();
        assertThat(intake.hearing()).isTrue();
        assertThat(intake.deafBecause()).isNull();
        assertThat(intake.takeRecovery()).as("first time heard").isTrue();
        assertThat(intake.takeRecovery()).as("taken once").isFalse();
        intake.hears();
        assertThat(intake.takeRecovery()).as("still hearing: nothing to extend").isFalse();

        intake.deaf("no group heartbeat answered by the broker for 9 s");
        assertThat(intake.hearing()).isFalse();
        assertThat(intake.deafBecause()).contains("9 s");
        assertThat(intake.takeRecovery()).isFalse();
        intake.hears();
        assertThat(intake.takeRecovery()).isTrue();
    }

    @Test
    void aSchedulerJudgesOnlyJobsWhoseEventPartitionItReadsAndTakingOverOneCountsAsHearingAgain() {
        EventIntake intake = new EventIntake();
        intake.hears();
        assertThat(intake.takeRecovery()).isTrue();
        intake.assigned(java.util.Set.of(0, 2), 3);
        assertThat(intake.takeRecovery()).as("partitions gained").isTrue();
        for (int i = 0; i < 200; i++) {
            String job = "ftjob-" + i;
            int kafka = org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
                    job.getBytes(java.nio.charset.StandardCharsets.UTF_8), 3);
            assertThat(EventIntake.partitionOf(job, 3)).as("the producer's partition of " + job).isEqualTo(kafka);
            assertThat(intake.hears(job)).isEqualTo(kafka != 1);
        }
        intake.assigned(java.util.Set.of(0), 3);
        assertThat(intake.takeRecovery()).as("only partitions lost").isFalse();
        intake.assigned(java.util.Set.of(0, 1, 2), 3);
        assertThat(intake.takeRecovery()).as("a dead scheduler's partitions taken over").isTrue();
        intake.deaf("broker away");
        assertThat(intake.hears("ftjob-1")).isFalse();
    }
}
