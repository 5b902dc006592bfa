-- schema bootstrap marker; the job-scheduler's real tables arrive with later migrations
create table scheduler.service_info (
    service     text primary key,
    version     text        not null,
    created_at  timestamptz not null default now()
);

insert into scheduler.service_info (service, version) values ('${service}', '${version}');
