package dev.vbank.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.EvaluationClient;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Evaluation suites: the built-in ones and the tenant's own, versioned by name. */
@Path("/v1/evaluation_suites")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "evaluations")
@SecurityRequirement(name = "bearer")
public class EvaluationSuitesResource {

    private static final Set<String> FIELDS = Set.of("name", "description", "tasks");

    @Schema(name = "SuiteTask")
    public record Task(@Schema(required = true) String name,
                       @Schema(required = true, description = "public:<name> or one of your processed files")
                       String dataset,
                       @Schema(required = true, enumeration = {"classification", "regression"}) String taskType,
                       @Schema(required = true, description = "accuracy, f1_macro, mcc; pearson, spearman, mse")
                       List<String> metrics,
                       @Schema(description = "{\"part\": \"all\"|\"test\", \"test_fraction\", \"seed\", \"limit\"}")
                       Map<String, Object> split) {
    }

    @Schema(name = "CreateEvaluationSuiteRequest", description = "A name used before becomes its next version")
    public record CreateSuite(@Schema(required = true) String name, String description,
                              @Schema(required = true) List<Task> tasks) {
    }

    @Schema(name = "EvaluationSuite")
    public record Suite(String id, String object, String name, int version, boolean builtIn, String description,
                        List<Map<String, Object>> tasks, long createdAt) {
    }

    @Schema(name = "EvaluationSuiteList")
    public record SuiteList(String object, List<Suite> data, boolean hasMore) {
    }

    private final CurrentTenant tenant;
    private final EvaluationClient scheduler;

    public EvaluationSuitesResource(CurrentTenant tenant, @RestClient EvaluationClient scheduler) {
        this.tenant = tenant;
        this.scheduler = scheduler;
    }

    @GET
    @Operation(summary = "Built-in and own suites, the latest version of each name; name=<name> lists every version")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = SuiteList.class)))
    public Response list(@Context UriInfo uri) {
        Map<String, String> query = Params.page(uri.getQueryParameters(), false, Set.of("name"));
        if (query.containsKey("name") && query.get("name").length() > 64) {
            throw Invalid.of("name", "suite names are at most 64 characters");
        }
        return Downstream.call(EvaluationsResource.SERVICE, () -> scheduler.suites(tenant.id(), query));
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Create a suite (or the next version of one of yours)")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CreateSuite.class)))
    @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Suite.class)))
    public Response create(byte[] body) {
        JsonNode tree = Bodies.tree(body);
        for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                String shown = name.length() > 64 ? name.substring(0, 64) : name;
                throw Invalid.of(shown, "unknown field '" + shown + "'");
            }
        }
        if (!tree.path("name").isTextual()) {
            throw Invalid.of("name", "name is required and must be a string");
        }
        JsonNode tasks = tree.get("tasks");
        if (tasks == null || !tasks.isArray() || tasks.isEmpty() || tasks.size() > 20) {
            throw Invalid.of("tasks", "tasks must be an array of 1 to 20 tasks");
        }
        return Downstream.call(EvaluationsResource.SERVICE, () -> scheduler.createSuite(tenant.id(), body));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A suite")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Suite.class)))
    public Response get(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(EvaluationsResource.SERVICE, () -> scheduler.suite(tenant.id(), id));
    }
}
