-- metadata of objects in the bucket; a row is written only after its object landed (and removed with it)
create table artifacts.files (
    id             text primary key,
    tenant         text        not null,
    filename       text        not null,
    purpose        text        not null,
    object_key     text        not null unique,
    bytes          bigint      not null check (bytes >= 0),
    sha256         text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    status         text        not null check (status in ('processed', 'error')),
    status_details text,
    rows           bigint      not null default 0,
    labels         jsonb       not null default '[]'::jsonb,
    created_at     timestamptz not null default now()
);
-- tenant listing, newest first, with a (created_at, id) cursor
create index files_tenant_created on artifacts.files (tenant, created_at desc, id desc);

create table artifacts.checkpoints (
    tenant     text        not null,
    job_id     text        not null,
    step       bigint      not null check (step >= 0),
    object_key text        not null unique,
    bytes      bigint      not null check (bytes >= 0),
    sha256     text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    created_at timestamptz not null default now(),
    primary key (tenant, job_id, step)
);

create table artifacts.adapters (
    id                   text primary key,
    tenant               text        not null,
    job_id               text        not null,
    base_model           text        not null,
    training_file        text,
    method               text        not null check (method in ('vblora', 'lora', 'head_only')),
    format               text        not null default 'vbank-compact',
    object_key           text        not null unique,
    bytes                bigint      not null check (bytes >= 0),
    sha256               text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    config               jsonb,
    trainable_params     bigint      not null,
    peft_savable_params  bigint      not null,
    compact_bytes        bigint      not null,
    created_at           timestamptz not null default now(),
    -- exactly one adapter per job
    unique (tenant, job_id)
);
create index adapters_tenant_created on artifacts.adapters (tenant, created_at desc, id desc);
create index adapters_training_file on artifacts.adapters (tenant, training_file);

create table artifacts.base_models (
    id             text primary key,
    object_key     text        not null unique,
    bytes          bigint      not null check (bytes >= 0),
    sha256         text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    -- the registry's pinned sha256 of the fp32 payload (BaseModel.weightsSha256), not of the whole file
    weights_sha256 text        not null,
    created_at     timestamptz not null default now()
);
