package dev.vbank.artifacts.files;

import dev.vbank.artifacts.api.Downloads;
import dev.vbank.artifacts.domain.ListPage;
import dev.vbank.artifacts.domain.Names;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.service.error.NotFound;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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
import java.util.Map;

@Path("/internal/tenants/{tenant}/files")
@Produces(MediaType.APPLICATION_JSON)
public class FilesResource {

    private final FileService files;
    private final ObjectStore store;

    public FilesResource(FileService files, ObjectStore store) {
        this.files = files;
        this.store = store;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response upload(@RestPath String tenant, @RestQuery String filename, @RestQuery String purpose,
                           @HeaderParam("Content-Length") Long contentLength, InputStream body) {
        FileObject f = files.create(tenant, filename, purpose, contentLength == null ? -1 : contentLength, body);
        return Response.status(201).entity(f).build();
    }

    @GET
    public ListPage<FileObject> list(@RestPath String tenant, @RestQuery String after, @RestQuery Integer limit) {
        return files.list(tenant, after, limit);
    }

    @GET
    @Path("/{id}")
    public FileObject get(@RestPath String tenant, @RestPath String id) {
        return files.get(tenant, id);
    }

    @GET
    @Path("/{id}/content")
    @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
    public Response content(@RestPath String tenant, @RestPath String id) {
        FileService.Stored f = stored(tenant, id);
        return Downloads.of(store.fetchVerified(f.objectKey(), f.file().sha256()), MediaType.APPLICATION_OCTET_STREAM,
                f.file().filename());
    }

    @GET
    @Path("/{id}/url")
    public ObjectStore.Presigned url(@RestPath String tenant, @RestPath String id) {
        return store.presign(stored(tenant, id).objectKey());
    }

    @DELETE
    @Path("/{id}")
    public Map<String, Object> delete(@RestPath String tenant, @RestPath String id) {
        files.delete(tenant, id);
        return Map.of("id", id, "object", "file", "deleted", true);
    }

    private FileService.Stored stored(String tenant, String id) {
        Names.segment(tenant, "tenant");
        return files.find(tenant, id).orElseThrow(() -> NotFound.of("file", id));
    }
}
