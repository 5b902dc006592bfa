package dev.vbank.artifacts.models;

import dev.vbank.artifacts.api.Downloads;
import dev.vbank.artifacts.domain.ListPage;
import dev.vbank.artifacts.store.ObjectStore;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestPath;

@Path("/internal/base-models")
@Produces(MediaType.APPLICATION_JSON)
public class BaseModelsResource {

    private final BaseModelService models;
    private final ObjectStore store;

    public BaseModelsResource(BaseModelService models, ObjectStore store) {
        this.models = models;
        this.store = store;
    }

    @GET
    public ListPage<BaseModelService.Entry> list() {
        return ListPage.of(models.list(), false);
    }

    @GET
    @Path("/{id}")
    public BaseModelService.Entry get(@RestPath String id) {
        return models.entry(models.model(id));
    }

    @GET
    @Path("/{id}/weights")
    @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
    public Response weights(@RestPath String id) {
        BaseModelService.Row row = models.ready(id);
        return Downloads.of(store.fetchVerified(row.objectKey(), row.sha256()), MediaType.APPLICATION_OCTET_STREAM,
                id + ".safetensors");
    }
}
