-- Evaluations (issue 6). An evaluation item is a row of scheduler.jobs with kind 'evaluation', so items share the
-- fair-share dispatcher, leases, requeue, cancel, outbox and event log with fine-tuning jobs.
alter table scheduler.jobs add column kind text not null default 'fine_tune' check (kind in ('fine_tune', 'evaluation'));
alter table scheduler.jobs alter column training_file drop not null;
alter table scheduler.jobs alter column method_type drop not null;
-- only an evaluation item of an adapter (not of a baseline) trains nothing
alter table scheduler.jobs add constraint jobs_fine_tune_fields
    check (kind = 'evaluation' or (training_file is not null and method_type is not null));
-- fine-tuning jobs: the evaluation requested at create (suite pinned, baselines), run when the job succeeds
alter table scheduler.jobs add column evaluation_request jsonb;

-- Suites: built-in ones have no tenant. A (tenant, name, version) never changes once written.
create table scheduler.suites (
    id          text primary key,
    tenant_id   text,
    name        text        not null,
    version     int         not null check (version >= 1),
    description text        not null default '',
    tasks       jsonb       not null,
    created_at  timestamptz not null default clock_timestamp()
);
create unique index suites_name_version_idx on scheduler.suites (coalesce(tenant_id, ''), name, version);

insert into scheduler.suites (id, tenant_id, name, version, description, tasks) values
    ('suite-builtin-sentiment-en-1', null, 'sentiment-en', 1,
     'English sentiment: held-out IMDB reviews and the UCI Amazon and IMDB sentence sets', '[
       {"name": "imdb-test", "dataset": "public:imdb-50k", "dataset_sha256": null, "task_type": "classification",
        "metrics": ["accuracy", "f1_macro"], "split": {"part": "test", "test_fraction": 0.5, "seed": 2024, "limit": 400}},
       {"name": "uci-amazon", "dataset": "public:uci-amazon", "dataset_sha256": null, "task_type": "classification",
        "metrics": ["accuracy", "f1_macro"], "split": {"part": "all", "test_fraction": null, "seed": null, "limit": null}},
       {"name": "uci-imdb", "dataset": "public:uci-imdb", "dataset_sha256": null, "task_type": "classification",
        "metrics": ["accuracy", "f1_macro"], "split": {"part": "all", "test_fraction": null, "seed": null, "limit": null}}
     ]'::jsonb);

-- A batch: one suite version x N subjects; its status is derived from its items.
create table scheduler.evaluations (
    id              text primary key,
    tenant_id       text        not null,
    suite_id        text        not null references scheduler.suites (id),
    baselines       jsonb       not null default '[]',
    metadata        jsonb       not null default '{}',
    -- the fine-tuning job whose success created it (auto-evaluation), if any
    source_job_id   text,
    cancelled_at    timestamptz,
    idempotency_key text,
    request_hash    text,
    created_at      timestamptz not null default clock_timestamp(),
    constraint evaluations_tenant_idempotency_key unique (tenant_id, idempotency_key)
);
create index evaluations_tenant_created_idx on scheduler.evaluations (tenant_id, created_at desc, id desc);

-- fine-tuning jobs: the evaluation created when the job succeeded
alter table scheduler.jobs add column evaluation_id text references scheduler.evaluations (id);

-- One row per evaluation item; id = the item's scheduler.jobs id.
create table scheduler.evaluation_items (
    id              text primary key references scheduler.jobs (id),
    evaluation_id   text        not null references scheduler.evaluations (id),
    position        int         not null,
    adapter_id      text        not null,
    subject         text        not null check (subject in ('adapter', 'baseline_head_only')),
    -- sha256 of the adapter's stored bytes: with the subject, suite and task it keys the cached results
    subject_sha256  text        not null,
    adapter_job_id  text        not null,
    adapter_method  text        not null,
    base_model      text        not null,
    tasks_done      int         not null default 0,
    tasks_total     int         not null,
    unique (evaluation_id, position)
);
create index evaluation_items_adapter_idx on scheduler.evaluation_items (adapter_id);

-- Immutable results, shared by every item with the same key (the cache).
create table scheduler.evaluation_results (
    subject              text             not null check (subject in ('adapter', 'baseline_head_only')),
    subject_sha256       text             not null,
    suite_id             text             not null references scheduler.suites (id),
    suite_version        int              not null,
    task                 text             not null,
    status               text             not null check (status in ('succeeded', 'skipped')),
    metrics              jsonb            not null default '{}',
    examples             int              not null check (examples >= 0),
    examples_per_second  double precision not null,
    -- sha256 of what was scored (for a baseline: the head-only adapter the worker trained)
    scored_sha256        text,
    stored_bytes         bigint           not null,
    trainable_parameters bigint           not null,
    stored_parameters    bigint           not null,
    detail               text,
    item_id              text             not null,
    created_at           timestamptz      not null default clock_timestamp(),
    primary key (subject, subject_sha256, suite_id, suite_version, task)
);
