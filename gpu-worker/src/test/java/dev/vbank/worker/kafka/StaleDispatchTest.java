package dev.vbank.worker.kafka;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class StaleDispatchTest {

    private static final DispatchJob JOB = new DispatchJob("ftjob-1", "t", 1, "lease", 60, "all-minilm-l6-v2", "file-1",
            null, new Method(MethodType.VBLORA, Map.of()), 1, null);

    private static ConsumerRecord<String, String> publishedAgo(long millis) {
        return new ConsumerRecord<>("vbank.jobs.dispatch", 0, 0, System.currentTimeMillis() - millis,
                TimestampType.CREATE_TIME, 0, 0, "ftjob-1", "{}", new RecordHeaders(), Optional.empty());
    }

    @Test
    void aDispatchThatWaitedLongerThanItsLeaseIsStale() {
        assertThat(DispatchConsumer.leaseExpiredBeforeStart(publishedAgo(61_000), JOB)).isTrue();
        assertThat(DispatchConsumer.leaseExpiredBeforeStart(publishedAgo(59_000), JOB)).isFalse();
        assertThat(DispatchConsumer.leaseExpiredBeforeStart(publishedAgo(0), JOB)).isFalse();
    }

    @Test
    void aRecordWithoutTimestampIsNeverStale() {
        ConsumerRecord<String, String> r = new ConsumerRecord<>("vbank.jobs.dispatch", 0, 0, "ftjob-1", "{}");
        assertThat(r.timestamp()).isNegative();
        assertThat(DispatchConsumer.leaseExpiredBeforeStart(r, JOB)).isFalse();
    }
}
