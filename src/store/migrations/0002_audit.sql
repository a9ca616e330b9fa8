-- seatwarden schema v2: the audit trail (never pruned), and what each run had seen of it.
CREATE TABLE audit (
    seq        BIGINT PRIMARY KEY,  -- 1, 2, 3, … in the order entries were written (writers hold the store lock)
    at         TEXT NOT NULL,       -- RFC 3339
    actor      TEXT NOT NULL,       -- --actor, else $SEATWARDEN_ACTOR, else the OS user
    action     TEXT NOT NULL,       -- removed | merged | restored | imported | merge_override | split_override | re-added
    developer  TEXT,                -- the row's developer id
    email      TEXT,                -- the row's email at the time
    into_id    TEXT,                -- merged: the row it was folded into
    reason     TEXT,                -- the recommendation's reason, or why else
    evidence   TEXT NOT NULL,       -- JSON array of strings
    run_id     TEXT,                -- the run the recommendation came from (or that re-added the row)
    origin     TEXT,                -- recs.csv:4, table.csv, developers split, …
    detail     TEXT                 -- what changed; a merge's carried emails and identities (JSON)
);
CREATE INDEX audit_developer ON audit (developer);

-- The audit entry a run had seen last: a report lists what was applied after the previous run's.
ALTER TABLE runs ADD COLUMN audit_seq BIGINT;

-- Retention deletes a pruned run's source rows by run id.
CREATE INDEX source_runs_run ON source_runs (run_id);
