-- One row per tenant that has had queued work, kept by triggers on scheduler.jobs: the created_at of its oldest queued
-- job (null when none is queued) and when one of its jobs last went from queued to running. The claim (ClaimQuery) walks
-- tenants_queues_next_idx to find the few tenants whose turn it is instead of ranking every queued job, and among equal
-- fair shares serves the tenant that waited longest since its last dispatch (never served first), so a tenant with a deep
-- queue of old jobs cannot win every tie on age alone.
create table scheduler.tenant_queues (
    tenant_id          text primary key,
    head_created_at    timestamptz,
    last_dispatched_at timestamptz
);
create index tenant_queues_next_idx on scheduler.tenant_queues (last_dispatched_at nulls first, head_created_at, tenant_id)
    where head_created_at is not null;

insert into scheduler.tenant_queues (tenant_id, head_created_at, last_dispatched_at)
select tenant_id, min(created_at) filter (where status = 'queued'), max(started_at)
from scheduler.jobs group by tenant_id;

-- The row lock on the tenant's row serializes concurrent changes of one tenant's queue; the head is read after taking it
-- (a PL/pgSQL statement sees what committed before it started), so it cannot go stale.
create function scheduler.track_tenant_queue() returns trigger language plpgsql as $$
declare
    tenant text := case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
begin
    insert into scheduler.tenant_queues (tenant_id) values (tenant)
    on conflict (tenant_id) do update set tenant_id = excluded.tenant_id;
    update scheduler.tenant_queues set
        head_created_at = (select j.created_at from scheduler.jobs j where j.tenant_id = tenant and j.status = 'queued'
                           order by j.created_at, j.id limit 1),
        last_dispatched_at = case when tg_op = 'UPDATE' and old.status = 'queued' and new.status = 'running'
                                  then clock_timestamp() else last_dispatched_at end
    where tenant_id = tenant;
    return null;
end $$;

create function scheduler.clear_tenant_queues() returns trigger language plpgsql as $$
begin
    delete from scheduler.tenant_queues;
    return null;
end $$;

create trigger jobs_tenant_queue_insert after insert on scheduler.jobs
    for each row when (new.status = 'queued') execute function scheduler.track_tenant_queue();
create trigger jobs_tenant_queue_update after update of status on scheduler.jobs
    for each row when (old.status is distinct from new.status and 'queued' in (old.status, new.status))
    execute function scheduler.track_tenant_queue();
create trigger jobs_tenant_queue_delete after delete on scheduler.jobs
    for each row when (old.status = 'queued') execute function scheduler.track_tenant_queue();
create trigger jobs_tenant_queue_truncate after truncate on scheduler.jobs
    for each statement execute function scheduler.clear_tenant_queues();

-- the gateway's quota check counts a tenant's open jobs (validating, queued, running, cancelling) with one index scan
create index jobs_open_tenant_idx on scheduler.jobs (tenant_id, status)
    where status in ('validating_files', 'queued', 'running', 'cancelling');
