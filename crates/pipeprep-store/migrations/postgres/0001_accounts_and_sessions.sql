-- pipeprep on PostgreSQL, schema version 1: accounts, cohorts and sessions owned by a user.
-- Applied once by the store (embedded in the binary); `pipeprep_schema` records the version.

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    -- An Argon2id hash in the PHC string format; the password itself is never stored.
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('learner', 'instructor')),
    created_ms BIGINT NOT NULL
);

-- Login sessions: only the SHA-256 of the random token is kept.
CREATE TABLE auth_tokens (
    token_hash BYTEA PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX auth_tokens_by_user ON auth_tokens(user_id);

-- Failed logins per key (a username, an address) in a fixed window, shared by every instance.
CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    failures INTEGER NOT NULL
);

CREATE TABLE cohorts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    instructor_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL
);
CREATE TABLE cohort_members (
    cohort_id BIGINT NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    learner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (cohort_id, learner_id)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scenario TEXT NOT NULL,
    config_json TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    last_at_ms BIGINT NOT NULL DEFAULT 0,
    scorecard_json TEXT,
    overall_level TEXT,
    overall_score INTEGER,
    -- When the interview first finished: the time axis of a learner's progress.
    finished_ms BIGINT,
    llm_model TEXT,
    prompt_tokens BIGINT,
    completion_tokens BIGINT,
    offline_turns BIGINT,
    llm_reviewed BOOLEAN
);
CREATE INDEX sessions_by_owner ON sessions(owner_id, created_ms);

CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    event_json TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);

CREATE TABLE turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    phase TEXT NOT NULL,
    act TEXT,
    voice TEXT,
    PRIMARY KEY (session_id, idx)
);

-- The level of each rubric dimension of a finished session, taken from its scorecard when it is
-- stored, so cohort queries need no JSON parsing. rank: 0 novice, 1 intermediate, 2 expert.
CREATE TABLE session_dimensions (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    dimension TEXT NOT NULL,
    level TEXT NOT NULL,
    rank SMALLINT NOT NULL,
    PRIMARY KEY (session_id, dimension)
);
