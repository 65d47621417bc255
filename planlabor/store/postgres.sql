-- What a PostgreSQL store has beyond schema.sql (PostgreSQL dialect; run after it on every
-- writable opening, so everything here is IF NOT EXISTS).
-- Current values of a slice (imports supersede by slice, the atlas and exports read by layer).
CREATE INDEX IF NOT EXISTS observations_current ON observations (layer_id, variable, period)
    WHERE superseded_by IS NULL;
-- Revert and the import log read by import number.
CREATE INDEX IF NOT EXISTS observations_import ON observations (import_id);
CREATE INDEX IF NOT EXISTS indicator_data_set ON indicator_data (set_id);
CREATE INDEX IF NOT EXISTS areas_geom ON areas USING gist (geom);
-- Users and sessions of the internal atlas (planlabor/atlas/sessions.py): on a shared server in
-- the database, so every server process and every planner's command line sees the same.
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username);
-- Public, suppressed indicator values as last published for QGIS (planlabor store publish); the
-- views of the schema <schema>_oeffentlich read them.
CREATE TABLE IF NOT EXISTS published_values (
    layer_id TEXT COLLATE "C" NOT NULL,
    area_id TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    indicator_id TEXT COLLATE "C" NOT NULL,
    value DOUBLE PRECISION,
    flag TEXT COLLATE "C"
);
-- Changes counter: every committed writing transaction adds one (the server watches it).
INSERT INTO meta VALUES ('generation', '0') ON CONFLICT (key) DO NOTHING
