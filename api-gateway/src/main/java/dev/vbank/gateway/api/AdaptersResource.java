package dev.vbank.gateway.api;

import dev.vbank.service.error.TooLarge;
import dev.vbank.gateway.downstream.ArtifactStreams;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.EvaluationClient;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.service.error.Invalid;
import dev.vbank.gateway.GatewayConfig;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Adapters (trained or imported from PEFT): metadata, content in three formats, import. */
@Path("/v1/adapters")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "adapters", description = "Adapters produced by fine-tuning jobs or imported from PEFT")
@SecurityRequirement(name = "bearer")
public class AdaptersResource {

    private static final Set<String> FORMATS = Set.of("compact", "peft", "merged");

    private final CurrentTenant tenant;
    private final ArtifactServiceClient artifacts;
    private final ArtifactStreams streams;
    private final EvaluationClient evaluations;
    private final long maxBytes;

    public AdaptersResource(CurrentTenant tenant, @RestClient ArtifactServiceClient artifacts, ArtifactStreams streams,
                            @RestClient EvaluationClient evaluations, GatewayConfig config) {
        this.maxBytes = config.files().maxBytes();
        this.tenant = tenant;
        this.artifacts = artifacts;
        this.streams = streams;
        this.evaluations = evaluations;
    }

    @GET
    @Path("{id}/evaluation_results")
    @Operation(summary = "The adapter's evaluation results (and its baselines') across all evaluations")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation =
            EvaluationsResource.ResultList.class)))
    public Response evaluationResults(@PathParam("id") String id) {
        Params.id("id", id);
        // another tenant's (or no) adapter is a 404 from its owner, not an empty list
        Downstream.fetch("artifact-service", () -> artifacts.adapter(tenant.id(), id)).orRelay();
        return Downstream.call(EvaluationsResource.SERVICE, () -> evaluations.adapterResults(tenant.id(), id));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "An adapter's metadata")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WireSchemas.Adapter.class)))
    public Response get(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call("artifact-service", () -> artifacts.adapter(tenant.id(), id));
    }

    @GET
    @Path("{id}/bank_usage")
    @Operation(summary = "How the adapter uses its vector bank: top-k selections per sub-vector, usage per bank vector, "
            + "stored bytes next to the LoRA-equivalent bytes")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WireSchemas.BankUsage.class)))
    public Response bankUsage(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call("artifact-service", () -> artifacts.bankUsage(tenant.id(), id));
    }

    @GET
    @Path("{id}/content")
    @Produces(MediaType.WILDCARD)
    @Operation(summary = "The adapter's bytes: compact (vbank), peft (zip of a HF PEFT directory for the bare encoder, "
            + "vbank's head in vbank_head.safetensors, a README.md with the Python lines that reproduce vbank's "
            + "outputs) or merged (safetensors)")
    @APIResponse(responseCode = "200", description = "the bytes; header X-Vbank-Sha256 holds their sha256", content = {
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = "application/zip", schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    public Response content(@PathParam("id") String id,
                            @Parameter(schema = @Schema(type = SchemaType.STRING, enumeration = {"compact", "peft",
                                    "merged"}, defaultValue = "compact")) @RestQuery("format") String format,
                            @Parameter(description = "format=peft, VB-LoRA only: true writes top-k indices and weights, "
                                    + "false the full logits (only where the adapter kept them); default: as stored",
                                    schema = @Schema(type = SchemaType.BOOLEAN))
                            @RestQuery("save_only_topk_weights") String saveOnlyTopkWeights) {
        Params.id("id", id);
        String f = format == null ? "compact" : format;
        if (!FORMATS.contains(f)) {
            throw Invalid.of("format", "format must be compact, peft or merged");
        }
        Map<String, String> query = new LinkedHashMap<>();
        query.put("format", f);
        if (saveOnlyTopkWeights != null) {
            if (!saveOnlyTopkWeights.equals("true") && !saveOnlyTopkWeights.equals("false")) {
                throw Invalid.of("save_only_topk_weights", "save_only_topk_weights must be true or false");
            }
            query.put("save_only_topk_weights", saveOnlyTopkWeights);
        }
        return streams.download("/internal/tenants/" + ArtifactStreams.enc(tenant.id()) + "/adapters/"
                + ArtifactStreams.enc(id) + "/content", query);
    }

    /** The multipart form of an adapter import. */
    @Schema(name = "AdapterImportForm")
    public static class ImportForm {
        @Schema(type = SchemaType.STRING, format = "binary", required = true,
                description = "a zip of a PEFT adapter directory: adapter_config.json, adapter_model.safetensors and, "
                        + "optionally, vbank_head.safetensors")
        public String file;
        @Schema(description = "the base model (vbank's id or its Hugging Face id) when the adapter's "
                + "base_model_name_or_path does not name a registered one")
        public String model;
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Import a PEFT adapter (VB-LoRA in either save mode, or LoRA) for a registered base model")
    @RequestBody(content = @Content(mediaType = MediaType.MULTIPART_FORM_DATA,
            schema = @Schema(implementation = ImportForm.class)))
    @APIResponse(responseCode = "201", description = "the imported adapter (source imported)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WireSchemas.Adapter.class)))
    @APIResponse(responseCode = "400", description = "the files do not hold a valid adapter for the model; the message "
            + "names the tensor or field, and nothing is stored")
    public Response importForm(@RestForm("file") FileUpload file, @RestForm("model") String model) {
        if (file == null || file.uploadedFile() == null) {
            throw Invalid.of("file", "the form needs a file part named 'file' (a zip of the PEFT directory)");
        }
        if (file.size() > maxBytes) {
            throw new TooLarge("file_too_large", "adapters may be at most " + maxBytes + " bytes", "file");
        }
        try (InputStream in = Files.newInputStream(file.uploadedFile())) {
            return streams.importAdapter(tenant.id(), blankToNull(model), in, maxBytes);
        } catch (IOException e) {
            throw Invalid.of("file", "the uploaded part could not be read");
        }
    }

    @POST
    @Consumes({"application/zip", MediaType.APPLICATION_OCTET_STREAM})
    @Operation(summary = "Import a PEFT adapter sent as the raw zip body (?model= optional)")
    @RequestBody(content = @Content(mediaType = "application/zip", schema = @Schema(type = SchemaType.STRING,
            format = "binary")))
    @APIResponse(responseCode = "201", description = "the imported adapter (source imported)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WireSchemas.Adapter.class)))
    public Response importRaw(@RestQuery("model") String model, InputStream body) {
        return streams.importAdapter(tenant.id(), blankToNull(model), body, maxBytes);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
