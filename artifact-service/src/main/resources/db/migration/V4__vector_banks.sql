-- published VB-LoRA vector banks (issue 12): immutable, content-addressed, bound to a base model and shape (h, b)
create table artifacts.vector_banks (
    id             text primary key,
    -- null = platform-wide (seeded by deploy), visible to every tenant, read-only for them
    tenant         text,
    name           text,
    base_model     text        not null,
    num_vectors    integer     not null check (num_vectors > 0),
    vector_length  integer     not null check (vector_length > 0),
    -- sha256 of the bank file (vblora-core VectorBankFile); the object vector-banks/{sha256} is stored once
    sha256         text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    bytes          bigint      not null check (bytes >= 0),
    object_key     text        not null,
    source_adapter text,
    created_at     timestamptz not null default now()
);
create index vector_banks_tenant_created on artifacts.vector_banks (tenant, created_at desc, id desc);
create index vector_banks_sha256 on artifacts.vector_banks (sha256);

-- an adapter trained against a published bank references it; the bank cannot be deleted while referenced
alter table artifacts.adapters add column vector_bank text references artifacts.vector_banks (id);
create index adapters_vector_bank on artifacts.adapters (vector_bank) where vector_bank is not null;
