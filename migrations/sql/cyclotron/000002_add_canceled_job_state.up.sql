-- 20260121092625_add_canceled_job_state.sql: for intentionally skipped jobs.
ALTER TYPE JobState ADD VALUE IF NOT EXISTS 'canceled';
