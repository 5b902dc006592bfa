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
}
