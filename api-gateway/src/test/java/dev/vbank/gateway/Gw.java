package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;

/** Helpers shared by the gateway tests: tenants through the admin API and the stub services' record. */
final class Gw {

    static final String ADMIN = "test-admin-token";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    record T(String id, String key) {
    }

    private Gw() {
    }

    static T tenant(String name) {
        return tenant(Map.of("name", name));
    }

    static T tenant(Map<String, Object> body) {
        var r = given().header("Authorization", "Bearer " + ADMIN).contentType(ContentType.JSON).body(body)
                .post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        return new T(r.getString("id"), r.getString("api_key.key"));
    }

    static RequestSpecification as(T t) {
        return given().header("Authorization", "Bearer " + t.key());
    }

    static List<JsonNode> stubRequests(String stubUrl) {
        JsonNode all = call(stubUrl, "GET", "/__stub/requests", "");
        List<JsonNode> out = new ArrayList<>();
        all.forEach(out::add);
        return out;
    }

    static void clearStub(String stubUrl) {
        call(stubUrl, "DELETE", "/__stub/requests", "");
    }

    static JsonNode call(String stubUrl, String method, String path, String body) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(stubUrl + path))
                    .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
