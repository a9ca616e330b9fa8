-- seatwarden schema v1: portable SQL for SQLite and PostgreSQL alike (TEXT, BIGINT; times as RFC 3339 text).
CREATE TABLE developers (
    id       TEXT PRIMARY KEY,
    email    TEXT NOT NULL,
    name     TEXT NOT NULL,
    status   TEXT NOT NULL,      -- active | removed
    data     TEXT NOT NULL,      -- the whole row as JSON (model::Developer): one value to bind and read
    position BIGINT NOT NULL     -- keeps the table's order stable across saves
);

CREATE TABLE runs (
    id                 TEXT PRIMARY KEY,
    started_at         TEXT NOT NULL,
    finished_at        TEXT NOT NULL,
    status             TEXT NOT NULL,
    licenses_purchased BIGINT,
    consumed           BIGINT NOT NULL,
    overage            BIGINT NOT NULL,
    duplicates         BIGINT NOT NULL,
    recommendations    BIGINT NOT NULL,
    summary            TEXT NOT NULL  -- the SPEC §4 report without its `developers` array
);

CREATE TABLE source_runs (
    run_id  TEXT NOT NULL,
    source  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    status  TEXT NOT NULL,
    records BIGINT NOT NULL,
    error   TEXT,
    PRIMARY KEY (run_id, source)
);

CREATE TABLE overrides (
    kind       TEXT NOT NULL,         -- merge | split
    a_source   TEXT NOT NULL,
    a_id       TEXT NOT NULL,
    b_source   TEXT NOT NULL,
    b_id       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    note       TEXT,
    PRIMARY KEY (kind, a_source, a_id, b_source, b_id)
);

CREATE TABLE http_cache (
    url  TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    body TEXT NOT NULL
);
