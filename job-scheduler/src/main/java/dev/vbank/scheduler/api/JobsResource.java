package dev.vbank.scheduler.api;

import dev.vbank.common.job.FineTuningJob;
import dev.vbank.scheduler.jobs.InitAdapters;
import dev.vbank.scheduler.jobs.JobQuota;
import dev.vbank.scheduler.jobs.VectorBankReferences;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobService;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The internal job API (service to service; the tenant comes from the path, authenticated by the gateway). */
@Path("/internal/tenants/{tenant}/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {

    public record ListPage<T>(String object, List<T> data, boolean hasMore) {
        static <T> ListPage<T> of(List<T> data, boolean hasMore) {
            return new ListPage<>("list", data, hasMore);
        }
    }

    public record Checkpoint(String id, String object, long createdAt, String fineTuningJobId, long stepNumber,
                             String objectKey, long bytes, String sha256) {
    }

    /**
     * The tenant's jobs that count against its quotas: waiting to start (validating or queued), and running. Creates check
     * the same counts themselves ({@link JobQuota}); this is for reading them.
     */
    public record JobCounts(String object, long queued, long running) {
    }

    private static final Pattern TENANT = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final Pattern METADATA_PARAM = Pattern.compile("metadata\\[(.{1,64})]");

    private final JobService service;
    private final InitAdapters initAdapters;
    private final VectorBankReferences vectorBanks;
    private final JobStore store;
    private final Db db;

    public JobsResource(JobService service, JobStore store, Db db, InitAdapters initAdapters,
                        VectorBankReferences vectorBanks) {
        this.initAdapters = initAdapters;
        this.vectorBanks = vectorBanks;
        this.service = service;
        this.store = store;
        this.db = db;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response create(@PathParam("tenant") String tenant, @HeaderParam("Idempotency-Key") String idempotencyKey,
                           @HeaderParam(JobQuota.MAX_QUEUED_HEADER) String maxQueued,
                           @HeaderParam(JobQuota.MAX_RUNNING_HEADER) String maxRunning, String body) {
        checkTenant(tenant);
        if (idempotencyKey != null && !IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
            throw Invalid.of("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
        JobQuota.Limits limits = JobQuota.Limits.of(maxQueued, maxRunning);
        JobService.Created created = service.create(tenant,
                JobRequestParser.parse(vectorBanks.resolve(tenant, initAdapters.resolve(tenant, body))), idempotencyKey,
                limits);
        return Response.ok(created.job().toApi())
                .header("Idempotent-Replayed", String.valueOf(created.replayed())).build();
    }

    @GET
    public ListPage<FineTuningJob> list(@PathParam("tenant") String tenant, @Context UriInfo uri) {
        checkTenant(tenant);
        MultivaluedMap<String, String> query = uri.getQueryParameters();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (String name : query.keySet()) {
            Matcher m = METADATA_PARAM.matcher(name);
            if (m.matches()) {
                metadata.put(m.group(1), single(query, name));
            } else if (!Set.of("after", "limit").contains(name)) {
                throw Invalid.of(name, "unknown query parameter '" + name + "'");
            }
        }
        String after = single(query, "after");
        int limit = limit(query);
        JobStore.Page<JobRow> page = db.tx(c -> {
            if (after != null && store.find(c, tenant, after).isEmpty()) {
                throw Invalid.of("after", "no fine-tuning job " + after);
            }
            return store.list(c, tenant, after, limit, metadata);
        });
        return ListPage.of(page.data().stream().map(JobRow::toApi).toList(), page.hasMore());
    }

    @GET
    @Path("counts")
    public JobCounts counts(@PathParam("tenant") String tenant) {
        checkTenant(tenant);
        JobStore.OpenCounts counts = db.tx(c -> store.openCounts(c, tenant));
        return new JobCounts("fine_tuning.job.counts", counts.queued(), counts.running());
    }

    @GET
    @Path("{id}")
    public FineTuningJob get(@PathParam("tenant") String tenant, @PathParam("id") String id) {
        checkTenant(tenant);
        return db.tx(c -> store.find(c, tenant, id)).orElseThrow(() -> JobService.jobNotFound(id)).toApi();
    }

    @POST
    @Path("{id}/cancel")
    @Consumes(MediaType.WILDCARD)
    public FineTuningJob cancel(@PathParam("tenant") String tenant, @PathParam("id") String id) {
        checkTenant(tenant);
        return service.cancel(tenant, id).toApi();
    }

    @GET
    @Path("{id}/events")
    public ListPage<dev.vbank.common.event.JobEvent> events(@PathParam("tenant") String tenant, @PathParam("id") String id,
                                                            @Context UriInfo uri) {
        checkTenant(tenant);
        MultivaluedMap<String, String> query = uri.getQueryParameters();
        for (String name : query.keySet()) {
            if (!Set.of("after", "limit").contains(name)) {
                throw Invalid.of(name, "unknown query parameter '" + name + "'");
            }
        }
        String after = single(query, "after");
        int limit = limit(query);
        JobStore.Page<JobStore.EventRow> page = db.tx(c -> {
            JobRow job = store.find(c, tenant, id).orElseThrow(() -> JobService.jobNotFound(id));
            long afterSeq = 0;
            if (after != null) {
                afterSeq = store.eventSeq(c, job.id(), after)
                        .orElseThrow(() -> Invalid.of("after", "no event " + after + " in job " + id));
            }
            return store.events(c, job.id(), afterSeq, limit);
        });
        return ListPage.of(page.data().stream().map(JobStore.EventRow::toApi).toList(), page.hasMore());
    }

    @GET
    @Path("{id}/checkpoints")
    public ListPage<Checkpoint> checkpoints(@PathParam("tenant") String tenant, @PathParam("id") String id) {
        checkTenant(tenant);
        List<JobStore.CheckpointRow> rows = db.tx(c -> {
            JobRow job = store.find(c, tenant, id).orElseThrow(() -> JobService.jobNotFound(id));
            return store.checkpoints(c, job.id());
        });
        return ListPage.of(rows.stream().map(r -> new Checkpoint("ftckpt-" + r.jobId().substring(r.jobId().indexOf('-') + 1)
                + "-" + r.step(), "fine_tuning.job.checkpoint", r.createdAt().getEpochSecond(), r.jobId(), r.step(),
                r.objectKey(), r.bytes(), r.sha256())).toList(), false);
    }

    static void checkTenant(String tenant) {
        if (!TENANT.matcher(tenant).matches()) {
            throw Invalid.of("tenant", "tenant ids are 1 to 64 characters of a-z, A-Z, 0-9, _ and -");
        }
    }

    static String single(MultivaluedMap<String, String> query, String name) {
        List<String> values = query.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw Invalid.of(name, "query parameter '" + name + "' given more than once");
        }
        return values.get(0);
    }

    static int limit(MultivaluedMap<String, String> query) {
        String raw = single(query, "limit");
        if (raw == null) {
            return 20;
        }
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= 100) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw Invalid.of("limit", "limit must be an integer from 1 to 100, was '" + raw + "'");
    }
}
