package dev.vbank.scheduler;

import dev.vbank.common.job.JobStatus;
import dev.vbank.common.job.JobTransitions;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.service.db.Db;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class TransitionMatrixTest {

    @Inject
    DataSource dataSource;
    @Inject
    Db db;
    @Inject
    JobStore store;

    @Test
    void everyPairAppliesInTheDatabaseExactlyWhenJobTransitionsAllowsIt() throws Exception {
        String tenant = TestSupport.tenant("matrix");
        List<String> mismatches = new ArrayList<>();
        int applied = 0;
        for (JobStatus from : JobStatus.values()) {
            for (JobStatus to : JobStatus.values()) {
                String id = TestSupport.insertJob(dataSource, tenant, from, 0);
                Optional<JobRow> result = change(id, null, null, to);
                String status = (String) TestSupport.scalar(dataSource, "select status from scheduler.jobs where id = ?", id);
                long version = TestSupport.count(dataSource, "select version from scheduler.jobs where id = ?", id);
                long stateEvents = TestSupport.count(dataSource,
                        "select count(*) from scheduler.job_events where job_id = ? and type = 'state'", id);
                boolean allowed = JobTransitions.isAllowed(from, to);
                if (result.isPresent() != allowed) {
                    mismatches.add(from + " -> " + to + ": applied=" + result.isPresent() + ", allowed=" + allowed);
                }
                assertThat(status).as(from + " -> " + to).isEqualTo((allowed ? to : from).wireName());
                assertThat(version).as("version after " + from + " -> " + to).isEqualTo(allowed ? 1 : 0);
                assertThat(stateEvents).as("state events after " + from + " -> " + to).isEqualTo(allowed ? 1 : 0);
                if (allowed) {
                    applied++;
                    assertThat(result.get().status()).isEqualTo(to);
                    if (to.isTerminal()) {
                        assertThat(result.get().finishedAt()).as("finished_at of " + to).isNotNull();
                        assertThat(result.get().leaseToken()).isNull();
                    }
                }
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(applied).as("allowed pairs").isEqualTo(13);
    }

    Optional<JobRow> change(String id, JobStatus from, Long version, JobStatus to) {
        return db.tx(c -> store.transition(c, id, from, version, to, JobStore.Sets.none(), null));
    }

    @Test
    void aStaleVersionOrAnotherExpectedStatusDoesNotApply() throws Exception {
        String tenant = TestSupport.tenant("matrix");
        String id = TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);

        assertThat(change(id, null, 5L, JobStatus.CANCELLED)).as("wrong version").isEmpty();
        assertThat(change(id, JobStatus.VALIDATING_FILES, null, JobStatus.CANCELLED)).as("wrong expected status").isEmpty();
        assertThat(change(id, JobStatus.QUEUED, 0L, JobStatus.CANCELLED)).as("right status and version").isPresent();
        assertThat(change(id, JobStatus.QUEUED, 0L, JobStatus.CANCELLED)).as("the same change twice").isEmpty();
        assertThat(TestSupport.count(dataSource, "select version from scheduler.jobs where id = ?", id)).isEqualTo(1);
    }
}
