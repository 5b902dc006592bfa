-- schema bootstrap marker; the artifact-service's real tables arrive with later migrations
create table artifacts.service_info (
    service     text primary key,
    version     text        not null,
    created_at  timestamptz not null default now()
);

insert into artifacts.service_info (service, version) values ('${service}', '${version}');
