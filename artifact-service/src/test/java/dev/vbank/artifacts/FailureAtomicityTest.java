package dev.vbank.artifacts;

import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.vblora.format.CompactFormat;
import io.minio.MinioClient;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** A metadata insert that fails leaves no object behind; concurrent adapter uploads for one job leave one adapter. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class FailureAtomicityTest {

    @Inject
    MinioClient minio;

    @Inject
    S3Config s3;

    @Inject
    DataSource dataSource;

    private void sql(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** A real PostgreSQL trigger makes every insert of this tenant's rows fail after the object was written. */
    private void failInsertsOf(String tenant, String table) throws Exception {
        sql("create or replace function artifacts.test_fail_insert() returns trigger language plpgsql as $$ begin "
                + "if new.tenant like 'doomed-%' then raise exception 'insert refused for test'; end if; "
                + "return new; end $$");
        sql("create or replace trigger test_fail_insert before insert on artifacts." + table
                + " for each row execute function artifacts.test_fail_insert()");
    }

    private void stopFailing(String table) throws Exception {
        sql("drop trigger if exists test_fail_insert on artifacts." + table);
    }

    @Test
    void fileWhoseRowCannotBeWrittenLeavesNoObject() throws Exception {
        String tenant = "doomed-" + Infra.tenant();
        failInsertsOf(tenant, "files");
        try {
            FilesApiTest.upload(tenant, "yelp.jsonl", FilesApiTest.yelp()).then().statusCode(503)
                    .body("error.code", is("unavailable"));
        } finally {
            stopFailing("files");
        }
        assertThat(Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/")).isZero();
        assertThat(Infra.rows(dataSource, "select count(*) from artifacts.files where tenant = ?", tenant)).isZero();
        FilesApiTest.upload(tenant, "yelp.jsonl", FilesApiTest.yelp()).then().statusCode(201);
        assertThat(Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/")).isEqualTo(1);
    }

    @Test
    void adapterWhoseRowCannotBeWrittenLeavesNoObject() throws Exception {
        String tenant = "doomed-" + Infra.tenant();
        byte[] bytes = CompactFormat.write(AdaptersApiTest.adapter(7), CompactFormat.Options.FP32);
        failInsertsOf(tenant, "adapters");
        try {
            AdaptersApiTest.upload(tenant, "ftjob-9", AdaptersApiTest.BASE, bytes).then().statusCode(503);
        } finally {
            stopFailing("adapters");
        }
        assertThat(Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/")).isZero();
        assertThat(Infra.rows(dataSource, "select count(*) from artifacts.adapters where tenant = ?", tenant)).isZero();
    }

    @Test
    void concurrentUploadsForOneJobLeaveExactlyOneAdapter() throws Exception {
        String tenant = Infra.tenant();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            bodies.add(CompactFormat.write(AdaptersApiTest.adapter(10 + i), CompactFormat.Options.FP32));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Response> responses = new ArrayList<>();
        try {
            List<Callable<Response>> calls = new ArrayList<>();
            for (byte[] b : bodies) {
                calls.add(() -> AdaptersApiTest.upload(tenant, "ftjob-race", AdaptersApiTest.BASE, b));
            }
            for (Future<Response> f : pool.invokeAll(calls)) {
                responses.add(f.get());
            }
        } finally {
            pool.shutdown();
        }
        Set<String> ids = responses.stream().map(r -> r.<String>path("id")).collect(Collectors.toSet());
        assertThat(ids).hasSize(1);
        assertThat(responses.stream().filter(r -> r.statusCode() == 201).count()).isEqualTo(1);
        assertThat(responses.stream().filter(r -> r.statusCode() == 200).count()).isEqualTo(3);
        assertThat(Infra.rows(dataSource, "select count(*) from artifacts.adapters where tenant = ?", tenant)).isEqualTo(1);
        assertThat(Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/adapters/")).isEqualTo(1);
        given().get("/internal/tenants/{t}/adapters/{id}/content", tenant, ids.iterator().next()).then().statusCode(200);
    }
}
