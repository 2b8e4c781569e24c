-- pipeprep on PostgreSQL, schema version 2: the engine's saved state after a session's latest
-- event, one row per session, overwritten by every turn in the transaction that stores the turn.
-- An instance that takes an interview over restores it from here instead of replaying every event
-- (the data is opaque to the database: the app checks its format and fingerprint, and replays
-- the events when the row is missing, stale or from another build).
CREATE TABLE session_snapshots (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    -- How many of the session's events the state accounts for.
    events BIGINT NOT NULL,
    data BYTEA NOT NULL
);
