package dev.vbank.artifacts.adapters;

import dev.vbank.artifacts.api.Downloads;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

import java.io.InputStream;

@Path("/internal/tenants/{tenant}/adapters")
@Produces(MediaType.APPLICATION_JSON)
public class AdaptersResource {

    private final AdapterService adapters;
    private final ObjectStore store;

    public AdaptersResource(AdapterService adapters, ObjectStore store) {
        this.adapters = adapters;
        this.store = store;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response upload(@RestPath String tenant, @RestQuery("job_id") String jobId,
                           @RestQuery("base_model") String baseModel, @RestQuery("training_file") String trainingFile,
                           @RestQuery String method, @HeaderParam("Content-Length") Long contentLength,
                           InputStream body) {
        AdapterService.Created c = adapters.create(tenant,
                new AdapterService.Lineage(jobId, baseModel, trainingFile, method),
                contentLength == null ? -1 : contentLength, body);
        return Response.status(c.created() ? 201 : 200).entity(c.adapter()).build();
    }

    /** A zip of a PEFT adapter directory; {@code model} names the base model when the files do not. */
    @POST
    @Path("/import")
    @Consumes(MediaType.WILDCARD)
    public Response importPeft(@RestPath String tenant, @RestQuery String model,
                               @HeaderParam("Content-Length") Long contentLength, InputStream body) {
        AdapterService.Created c = adapters.importPeft(tenant, model, contentLength == null ? -1 : contentLength, body);
        return Response.status(201).entity(c.adapter()).build();
    }

    @GET
    @Path("/{id}")
    public AdapterObject get(@RestPath String tenant, @RestPath String id) {
        return adapters.get(tenant, id).adapter();
    }

    @GET
    @Path("/{id}/content")
    @Produces({MediaType.APPLICATION_OCTET_STREAM, "application/zip", MediaType.APPLICATION_JSON})
    public Response content(@RestPath String tenant, @RestPath String id, @RestQuery String format,
                            @RestQuery("save_only_topk_weights") String saveOnlyTopkWeights) {
        String f = format == null || format.isEmpty() ? "compact" : format;
        if (!f.equals("compact") && !f.equals("peft") && !f.equals("merged")) {
            throw Invalid.of("format", "format must be compact, peft or merged");
        }
        if (saveOnlyTopkWeights != null && !f.equals("peft")) {
            throw Invalid.of("save_only_topk_weights", "save_only_topk_weights applies to format=peft");
        }
        AdapterService.Stored s = adapters.get(tenant, id);
        return switch (f) {
            case "compact" -> Downloads.of(adapters.compact(s), MediaType.APPLICATION_OCTET_STREAM, id + ".vbank");
            case "peft" -> Downloads.of(adapters.peftZip(s, bool("save_only_topk_weights", saveOnlyTopkWeights)),
                    "application/zip", id + "-peft.zip");
            default -> Downloads.of(adapters.merged(s), MediaType.APPLICATION_OCTET_STREAM, id + "-merged.safetensors");
        };
    }

    private static Boolean bool(String param, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw Invalid.of(param, param + " must be true or false, was '" + value + "'");
        };
    }

    @GET
    @Path("/{id}/bank_usage")
    public BankUsage bankUsage(@RestPath String tenant, @RestPath String id) {
        return adapters.bankUsage(adapters.get(tenant, id));
    }

    @GET
    @Path("/{id}/url")
    public ObjectStore.Presigned url(@RestPath String tenant, @RestPath String id) {
        return store.presign(adapters.get(tenant, id).objectKey());
    }
}
