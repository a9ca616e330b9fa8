-- Delivery receipts: one row per run and channel (email, webhook), so a report is sent once per run.
-- A retried CronJob or a second `report --send` finds the row and sends nothing; `--force` resends.
CREATE TABLE delivery_receipts (
    run_id     TEXT NOT NULL,
    channel    TEXT NOT NULL,      -- email | webhook
    status     TEXT NOT NULL,      -- sent | failed
    at         TEXT NOT NULL,      -- RFC 3339, when the last attempt finished
    detail     TEXT NOT NULL,      -- what was sent, or the error (never a secret)
    attempts   BIGINT NOT NULL,    -- sends tried for this run and channel, resends included
    PRIMARY KEY (run_id, channel)
);
