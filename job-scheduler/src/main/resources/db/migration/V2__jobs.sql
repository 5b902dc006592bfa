-- Fine-tuning jobs. Status changes go through one conditional UPDATE (JobStore.transition) whose WHERE clause lists the
-- allowed source states from JobTransitions; version increments on every change for optimistic checks.
create table scheduler.jobs (
    id                   text primary key,
    tenant_id            text        not null,
    status               text        not null check (status in
                             ('validating_files', 'queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled')),
    version              bigint      not null default 0,
    -- the attempt that runs (or will run) next; a requeue after an expired lease increments it
    attempt              int         not null default 1 check (attempt >= 1),
    max_attempts         int         not null check (max_attempts >= 1),
    model                text        not null,
    training_file        text        not null,
    validation_file      text,
    method_type          text        not null check (method_type in ('vblora', 'lora', 'head_only')),
    hyperparameters      jsonb       not null default '{}',
    suffix               text,
    seed                 bigint      not null,
    metadata             jsonb       not null default '{}',
    error_code           text,
    error_message        text,
    error_param          text,
    adapter_id           text,
    trained_steps        bigint      not null default 0,
    estimated_finish     timestamptz,
    created_at           timestamptz not null default clock_timestamp(),
    started_at           timestamptz,
    finished_at          timestamptz,
    lease_owner          text,
    lease_token          text,
    lease_expires_at     timestamptz,
    last_checkpoint_key  text,
    last_checkpoint_step bigint,
    idempotency_key      text,
    request_hash         text,
    constraint jobs_tenant_idempotency_key unique (tenant_id, idempotency_key)
);

-- claim query: oldest queued jobs per tenant
create index jobs_queued_idx on scheduler.jobs (tenant_id, created_at, id) where status = 'queued';
-- running counts per tenant and the lease reaper
create index jobs_active_idx on scheduler.jobs (tenant_id) where status in ('running', 'cancelling');
create index jobs_lease_idx on scheduler.jobs (lease_expires_at) where status in ('running', 'cancelling');
create index jobs_validating_idx on scheduler.jobs (created_at) where status = 'validating_files';
-- listing, newest first, and the metadata filter
create index jobs_tenant_created_idx on scheduler.jobs (tenant_id, created_at desc, id desc);
create index jobs_metadata_idx on scheduler.jobs using gin (metadata jsonb_path_ops);

-- id is the producer's event id: inserting with ON CONFLICT DO NOTHING makes consumption idempotent
create table scheduler.job_events (
    id          text primary key,
    job_id      text        not null references scheduler.jobs (id),
    seq         bigserial   not null unique,
    created_at  timestamptz not null default clock_timestamp(),
    level       text        not null check (level in ('info', 'warn', 'error')),
    type        text        not null check (type in ('message', 'metrics', 'state')),
    message     text        not null,
    data        jsonb       not null default '{}'
);
create index job_events_job_seq_idx on scheduler.job_events (job_id, seq);

-- transactional outbox: rows are written in the same transaction as the state change, published to Kafka afterwards
create table scheduler.outbox (
    id           bigserial primary key,
    topic        text        not null,
    key          text        not null,
    payload      jsonb       not null,
    created_at   timestamptz not null default clock_timestamp(),
    published_at timestamptz
);
create index outbox_unpublished_idx on scheduler.outbox (id) where published_at is null;

create table scheduler.checkpoints (
    job_id      text        not null references scheduler.jobs (id),
    step        bigint      not null check (step >= 0),
    object_key  text        not null,
    bytes       bigint      not null check (bytes >= 0),
    sha256      text        not null,
    created_at  timestamptz not null default clock_timestamp(),
    primary key (job_id, step)
);
