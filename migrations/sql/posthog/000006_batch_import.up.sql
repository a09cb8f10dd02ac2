-- posthog_batchimport, the job table of batch-import-worker
-- (rust/batch-import-worker/migrations, Django's BatchImport model).
CREATE TABLE IF NOT EXISTS posthog_batchimport (
    id UUID PRIMARY KEY,
    team_id INTEGER NOT NULL
        REFERENCES posthog_team (id) DEFERRABLE INITIALLY DEFERRED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by_id INTEGER
        REFERENCES posthog_user (id) DEFERRABLE INITIALLY DEFERRED,
    lease_id TEXT,
    leased_until TIMESTAMPTZ,
    status TEXT NOT NULL DEFAULT 'running',
    status_message TEXT,
    display_status_message TEXT,
    state JSONB,
    import_config JSONB NOT NULL,
    secrets TEXT NOT NULL DEFAULT '',
    backoff_attempt INTEGER NOT NULL DEFAULT 0,
    backoff_until TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS posthog_batchimport_team_id_idx ON posthog_batchimport (team_id);
-- Claim: oldest running job whose lease is free.
CREATE INDEX IF NOT EXISTS posthog_batchimport_claim_idx ON posthog_batchimport (status, leased_until, created_at);
