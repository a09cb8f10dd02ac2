-- rust/cyclotron-core/migrations, folded into their final shape:
-- 20240804122549_initial_job_queue_schema.sql, 20240807085116 (control tables),
-- 20240823191751_bytes_over_text.sql, 20260113144929_add_batch_job_id.sql,
-- 20260115221204_add_parent_run_id_column.sql. The 'canceled' state
-- (20260121092625) is added in the next file.
DO $$ BEGIN
    CREATE TYPE JobState AS ENUM ('available', 'completed', 'failed', 'running', 'paused');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS cyclotron_jobs (
    -- Job metadata
    id UUID PRIMARY KEY,
    team_id INT NOT NULL,
    function_id UUID,
    created TIMESTAMPTZ NOT NULL,
    lock_id UUID,
    last_heartbeat TIMESTAMPTZ,
    janitor_touch_count SMALLINT NOT NULL,
    transition_count SMALLINT NOT NULL,
    last_transition TIMESTAMPTZ NOT NULL,
    -- Virtual queue
    queue_name TEXT NOT NULL,
    -- Job availability
    state JobState NOT NULL,
    scheduled TIMESTAMPTZ NOT NULL,
    priority SMALLINT NOT NULL,
    -- Job data
    vm_state BYTEA,
    metadata BYTEA,
    parameters BYTEA,
    blob BYTEA,
    batch_job_id TEXT,
    parent_run_id TEXT
);

-- Dequeue: available jobs of a queue, earliest scheduled first, then by priority.
CREATE INDEX IF NOT EXISTS idx_cyclotron_jobs_dequeue ON cyclotron_jobs (queue_name, state, scheduled, priority)
    WHERE state = 'available';
CREATE INDEX IF NOT EXISTS idx_queue_team_id ON cyclotron_jobs (team_id);
CREATE INDEX IF NOT EXISTS idx_queue_function_id ON cyclotron_jobs (function_id);
CREATE INDEX IF NOT EXISTS idx_queue_queue_name ON cyclotron_jobs (queue_name);

-- Jobs moved to the dead letter queue, with why.
CREATE TABLE IF NOT EXISTS cyclotron_dead_letter_metadata (
    job_id UUID PRIMARY KEY,
    original_queue_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    dlq_time TIMESTAMPTZ NOT NULL
);

-- Key/value backchannel (the janitor writes shard_id here).
CREATE TABLE IF NOT EXISTS cyclotron_metadata (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Control tables (documented as unused by the reference).
CREATE TABLE IF NOT EXISTS cyclotron_team_control (
    team_id INT PRIMARY KEY,
    state_override JobState,
    state_override_expires TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS cyclotron_function_control (
    function_id UUID PRIMARY KEY,
    state_override JobState,
    state_override_expires TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS cyclotron_queue_control (
    queue_name TEXT PRIMARY KEY,
    state_override JobState,
    state_override_expires TIMESTAMPTZ
);
