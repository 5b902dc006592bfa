-- schema bootstrap marker; the gateway's real tables arrive with later migrations
create table gateway.service_info (
    service     text primary key,
    version     text        not null,
    created_at  timestamptz not null default now()
);

insert into gateway.service_info (service, version) values ('${service}', '${version}');
