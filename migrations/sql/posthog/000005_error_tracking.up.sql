-- Error-tracking tables cymbal reads and writes (rust/cymbal/tests/test_migrations,
-- folded into their latest shape). Team ids carry no foreign key, as in the
-- reference's test schema.

CREATE TABLE IF NOT EXISTS posthog_errortrackingsymbolset (
    id UUID PRIMARY KEY,
    ref TEXT NOT NULL,
    team_id INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    storage_ptr TEXT,
    failure_reason TEXT,
    content_hash TEXT,
    release_id UUID,
    last_used TIMESTAMPTZ,
    CONSTRAINT posthog_errortrackingsymbolset_team_id_ref_uniq UNIQUE (team_id, ref)
);
CREATE INDEX IF NOT EXISTS posthog_errortrackingsymbolset_team_id_ref_idx
    ON posthog_errortrackingsymbolset (team_id, ref);

CREATE TABLE IF NOT EXISTS posthog_errortrackingstackframe (
    id UUID PRIMARY KEY,
    raw_id TEXT NOT NULL,
    team_id INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    symbol_set_id UUID,
    contents JSONB NOT NULL,
    resolved BOOLEAN NOT NULL,
    context JSONB,
    part INTEGER,
    CONSTRAINT posthog_errortrackingstackframe_raw_id_team_id_uniq UNIQUE (raw_id, team_id)
);
CREATE INDEX IF NOT EXISTS posthog_errortrackingstackframe_symbol_set_id_idx
    ON posthog_errortrackingstackframe (symbol_set_id);

CREATE TABLE IF NOT EXISTS posthog_errortrackingissue (
    id UUID PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status TEXT NOT NULL DEFAULT 'active',
    team_id INTEGER NOT NULL,
    name TEXT,
    description TEXT,
    severity TEXT,
    last_received_at TIMESTAMPTZ DEFAULT now(),
    auto_resolve_sync_requested_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS posthog_errortrackingissue_team_id_idx ON posthog_errortrackingissue (team_id);

CREATE TABLE IF NOT EXISTS posthog_errortrackingissuefingerprintv2 (
    id UUID PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    fingerprint TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    team_id INTEGER NOT NULL,
    issue_id UUID NOT NULL,
    first_seen TIMESTAMPTZ,
    CONSTRAINT posthog_errortrackingissuefingerprintv2_team_id_fingerprint_uniq UNIQUE (team_id, fingerprint)
);
CREATE INDEX IF NOT EXISTS posthog_errortrackingissuefingerprintv2_issue_id_idx
    ON posthog_errortrackingissuefingerprintv2 (issue_id);

CREATE TABLE IF NOT EXISTS posthog_errortrackingissueassignment (
    id UUID PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    issue_id UUID NOT NULL,
    user_id INTEGER,
    user_group_id UUID,
    role_id UUID,
    CONSTRAINT posthog_errortrackingissueassignment_issue_id_d9cce9cb_uniq UNIQUE (issue_id)
);

CREATE TABLE IF NOT EXISTS posthog_errortrackingrelease (
    id UUID PRIMARY KEY,
    team_id INTEGER NOT NULL,
    hash_id VARCHAR(255) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version VARCHAR(255) NOT NULL,
    project VARCHAR(255) NOT NULL,
    metadata JSONB
);

CREATE TABLE IF NOT EXISTS posthog_errortrackinggroupingrule (
    id UUID PRIMARY KEY,
    team_id INTEGER NOT NULL,
    user_id INTEGER,
    role_id UUID,
    order_key INTEGER NOT NULL DEFAULT 0,
    bytecode JSONB NOT NULL,
    filters JSONB,
    disabled_data JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_grouping_rule_team_id ON posthog_errortrackinggroupingrule (team_id);

CREATE TABLE IF NOT EXISTS posthog_errortrackingassignmentrule (
    id UUID PRIMARY KEY,
    team_id INTEGER NOT NULL,
    user_id INTEGER,
    role_id UUID,
    order_key INTEGER NOT NULL DEFAULT 0,
    bytecode JSONB NOT NULL,
    filters JSONB,
    disabled_data JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_assignment_rule_team_id ON posthog_errortrackingassignmentrule (team_id);

CREATE TABLE IF NOT EXISTS posthog_errortrackingsuppressionrule (
    id UUID PRIMARY KEY,
    team_id INTEGER NOT NULL,
    order_key INTEGER NOT NULL DEFAULT 0,
    bytecode JSONB,
    disabled_data JSONB,
    filters JSONB NOT NULL,
    sampling_rate DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_suppression_rule_team_id ON posthog_errortrackingsuppressionrule (team_id);

CREATE TABLE IF NOT EXISTS posthog_errortrackingseverityrule (
    id UUID PRIMARY KEY,
    team_id INTEGER NOT NULL,
    filters JSONB NOT NULL,
    bytecode JSONB NOT NULL,
    severity TEXT NOT NULL,
    order_key INTEGER NOT NULL DEFAULT 0,
    disabled_data JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_severity_rule_team_id ON posthog_errortrackingseverityrule (team_id);
