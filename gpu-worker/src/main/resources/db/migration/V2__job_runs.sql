-- one row per job attempt a worker started: the primary key makes a redelivered dispatch (same job, attempt and
-- lease) start nowhere else, whichever worker of the group receives it
create table worker.job_runs (
    job_id       text        not null,
    attempt      int         not null,
    lease_token  text        not null,
    tenant_id    text        not null,
    worker_id    text        not null,
    status       text        not null default 'running'
                 check (status in ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    step         bigint      not null default 0,
    resumed_from bigint,
    adapter_id   text,
    error_code   text,
    error_message text,
    started_at   timestamptz not null default now(),
    finished_at  timestamptz,
    primary key (job_id, attempt, lease_token)
);
create index job_runs_worker_idx on worker.job_runs (worker_id, started_at);
