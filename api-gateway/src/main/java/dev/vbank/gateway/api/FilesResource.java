package dev.vbank.gateway.api;

import dev.vbank.gateway.GatewayConfig;
import dev.vbank.gateway.downstream.ArtifactStreams;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.quota.QuotaGuard;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.gateway.tenants.Tenant;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.rest.ApiException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Map;
import java.util.regex.Pattern;

/** Training files, stored by the artifact-service under the caller's tenant. */
@Path("/v1/files")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "files", description = "Training data files (JSONL or CSV)")
@SecurityRequirement(name = "bearer")
public class FilesResource {

    private static final String SERVICE = "artifact-service";
    private static final Pattern FILENAME = Pattern.compile("[^/\\\\\\x00-\\x1f\\x7f]{1,255}");

    @Schema(name = "FileUploadForm")
    public static class UploadForm {
        @Schema(type = SchemaType.STRING, format = "binary", required = true, description = ".jsonl or .csv file")
        public String file;
        @Schema(defaultValue = "fine-tune", enumeration = "fine-tune")
        public String purpose;
    }

    private final CurrentTenant tenant;
    private final ArtifactServiceClient artifacts;
    private final ArtifactStreams streams;
    private final QuotaGuard quotas;
    private final long maxBytes;

    public FilesResource(CurrentTenant tenant, @RestClient ArtifactServiceClient artifacts, ArtifactStreams streams,
                         QuotaGuard quotas, GatewayConfig config) {
        this.tenant = tenant;
        this.artifacts = artifacts;
        this.streams = streams;
        this.quotas = quotas;
        this.maxBytes = config.files().maxBytes();
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Upload a file (multipart form: file, purpose)")
    @RequestBody(content = @Content(mediaType = MediaType.MULTIPART_FORM_DATA,
            schema = @Schema(implementation = UploadForm.class)))
    @APIResponse(responseCode = "201", description = "the file object (status processed or error with the reason)",
            content = @Content(schema = @Schema(implementation = WireSchemas.FileObject.class)))
    @APIResponse(responseCode = "413", description = "over the size cap")
    @APIResponse(responseCode = "429", description = "storage quota exceeded")
    public Response uploadForm(@RestForm("file") FileUpload file, @RestForm("purpose") String purpose) {
        if (file == null || file.uploadedFile() == null) {
            throw Invalid.of("file", "the form needs a file part named 'file'");
        }
        String name = filename(file.fileName());
        String p = purpose(purpose);
        if (file.size() > maxBytes) {
            throw tooLarge();
        }
        Tenant t = tenant.get();
        return quotas.admitUpload(t, file.size(), () -> {
            try (InputStream in = Files.newInputStream(file.uploadedFile())) {
                return streams.upload(t.id(), name, p, in, maxBytes);
            } catch (IOException e) {
                throw Invalid.of("file", "the uploaded part could not be read");
            }
        });
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Upload a file as the raw request body (?filename=...&purpose=fine-tune)")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
            schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "201", description = "the file object",
            content = @Content(schema = @Schema(implementation = WireSchemas.FileObject.class)))
    public Response uploadRaw(@Parameter(required = true) @RestQuery("filename") String filename,
                              @RestQuery("purpose") String purpose,
                              @HeaderParam("Content-Length") String contentLength, InputStream body) {
        String name = filename(filename);
        String p = purpose(purpose);
        long length = -1;
        if (contentLength != null) {
            try {
                length = Long.parseLong(contentLength.strip());
            } catch (NumberFormatException e) {
                throw Invalid.of("Content-Length", "Content-Length must be a number");
            }
        }
        if (length > maxBytes) {
            throw tooLarge();
        }
        Tenant t = tenant.get();
        long incoming = length;
        return quotas.admitUpload(t, incoming, () -> streams.upload(t.id(), name, p, body, maxBytes));
    }

    @GET
    @Operation(summary = "List files (newest first), paged with after/limit")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WireSchemas.FileList.class)))
    public Response list(@Context UriInfo uri) {
        Map<String, String> query = Params.page(uri.getQueryParameters(), false);
        return Downstream.call(SERVICE, () -> artifacts.files(tenant.id(), query));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A file object")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WireSchemas.FileObject.class)))
    public Response get(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> artifacts.file(tenant.id(), id));
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Delete a file")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WireSchemas.FileDeleted.class)))
    public Response delete(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> artifacts.deleteFile(tenant.id(), id));
    }

    @GET
    @Path("{id}/content")
    @Produces(MediaType.WILDCARD)
    @Operation(summary = "The file's bytes (sha256-verified by the artifact-service before they are sent)")
    @APIResponse(responseCode = "200", description = "the bytes; header X-Vbank-Sha256 holds their sha256",
            content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary")))
    public Response content(@PathParam("id") String id) {
        Params.id("id", id);
        return streams.download("/internal/tenants/" + ArtifactStreams.enc(tenant.id()) + "/files/"
                + ArtifactStreams.enc(id) + "/content", Map.of());
    }

    static String filename(String name) {
        if (name == null || name.isBlank()) {
            throw Invalid.of("filename", "a filename is required");
        }
        if (!FILENAME.matcher(name).matches() || name.equals(".") || name.contains("..") || name.startsWith(".")) {
            throw Invalid.of("filename", "filename must be 1 to 255 characters, no path, no control characters");
        }
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (!lower.endsWith(".jsonl") && !lower.endsWith(".csv")) {
            throw Invalid.of("filename", "filename must end in .jsonl or .csv");
        }
        return name;
    }

    static String purpose(String purpose) {
        if (purpose == null || purpose.isEmpty()) {
            return "fine-tune";
        }
        if (!purpose.equals("fine-tune")) {
            throw Invalid.of("purpose", "purpose must be 'fine-tune'");
        }
        return purpose;
    }

    private ApiException tooLarge() {
        return new ApiException(413, "file_too_large", "files may be at most " + maxBytes + " bytes", "file");
    }
}
