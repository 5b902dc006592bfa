-- schema bootstrap marker; the gpu-worker's real tables arrive with later migrations
create table worker.service_info (
    service     text primary key,
    version     text        not null,
    created_at  timestamptz not null default now()
);

insert into worker.service_info (service, version) values ('${service}', '${version}');
