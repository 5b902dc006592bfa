-- tenants and their API keys; a key is stored only as the sha256 of its text
create table gateway.tenants (
    id                 text primary key,
    name               text        not null check (length(name) between 1 and 200),
    created_at         timestamptz not null default now(),
    -- quota overrides; null means the configured default
    max_queued_jobs    integer check (max_queued_jobs >= 0),
    max_running_jobs   integer check (max_running_jobs >= 0),
    max_stored_bytes   bigint  check (max_stored_bytes >= 0),
    requests_per_second double precision check (requests_per_second > 0),
    burst              integer check (burst >= 1)
);

create table gateway.api_keys (
    id          text primary key,
    tenant_id   text        not null references gateway.tenants (id),
    key_sha256  text        not null unique check (key_sha256 ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);

create index api_keys_tenant on gateway.api_keys (tenant_id);
