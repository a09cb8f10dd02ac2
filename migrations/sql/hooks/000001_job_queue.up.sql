-- rust/hook-common/migrations/20231129172339_job_queue_table.sql and
-- 20240202003133_better_dequeue_index.sql, folded into their final shape.
DO $$ BEGIN
    CREATE TYPE job_status AS ENUM ('available', 'completed', 'failed', 'running');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS job_queue (
    id BIGSERIAL PRIMARY KEY,
    attempt INT NOT NULL DEFAULT 0,
    attempted_at TIMESTAMPTZ DEFAULT NULL,
    attempted_by TEXT[] DEFAULT ARRAY[]::TEXT[],
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    errors JSONB[],
    max_attempts INT NOT NULL DEFAULT 1,
    metadata JSONB,
    last_attempt_finished_at TIMESTAMPTZ DEFAULT NULL,
    parameters JSONB,
    queue TEXT NOT NULL DEFAULT 'default'::TEXT,
    scheduled_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    status job_status NOT NULL DEFAULT 'available'::job_status,
    target TEXT NOT NULL
);

-- Needed for `dequeue` queries
CREATE INDEX IF NOT EXISTS idx_queue_dequeue_partial ON job_queue (queue, attempt, scheduled_at)
    WHERE status = 'available'::job_status;

-- Needed for UPDATE-ing incomplete jobs with a specific target (i.e. slow destinations)
CREATE INDEX IF NOT EXISTS idx_queue_target ON job_queue (queue, status, target);
