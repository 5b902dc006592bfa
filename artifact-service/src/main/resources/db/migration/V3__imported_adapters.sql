-- adapters imported from a PEFT directory belong to no job; trained adapters stay one per (tenant, job)
alter table artifacts.adapters alter column job_id drop not null;
alter table artifacts.adapters add column source text not null default 'trained'
    check (source in ('trained', 'imported'));
alter table artifacts.adapters add constraint adapters_job_unless_imported
    check ((source = 'trained') = (job_id is not null));
