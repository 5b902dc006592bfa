package dev.vbank.artifacts.api;

import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.common.api.ApiError;
import dev.vbank.service.rest.ErrorMappers;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Object-storage failures as answers that name no keys or internals; everything else maps in service-support. */
public class StorageErrorMappers {

    private static final Logger LOG = Logger.getLogger(StorageErrorMappers.class);

    @ServerExceptionMapper
    public Response storage(ObjectStore.StorageException e) {
        LOG.error("object storage error", e);
        return ErrorMappers.json(503, ApiError.of("storage_unavailable", "object storage is not available; try again", null));
    }

    @ServerExceptionMapper
    public Response corrupted(ObjectStore.CorruptedObjectException e) {
        LOG.error(e.getMessage());
        return ErrorMappers.json(500, ApiError.of("corrupted_object",
                "the stored object failed its sha256 check and was not served", null));
    }

    @ServerExceptionMapper
    public Response missing(ObjectStore.MissingObjectException e) {
        LOG.error(e.getMessage());
        return ErrorMappers.json(500, ApiError.of("object_missing", "the stored object is missing", null));
    }
}
