-- What a PostgreSQL store has beyond schema.sql (PostgreSQL dialect; run after it on every
-- writable opening, so everything here is IF NOT EXISTS).
-- Current values of a slice (imports supersede by slice, the atlas and exports read by layer).
CREATE INDEX IF NOT EXISTS observations_current ON observations (layer_id, variable, period)
    WHERE superseded_by IS NULL;
-- Revert and the import log read by import number.
CREATE INDEX IF NOT EXISTS observations_import ON observations (import_id);
CREATE INDEX IF NOT EXISTS indicator_data_set ON indicator_data (set_id);
CREATE INDEX IF NOT EXISTS areas_geom ON areas USING gist (geom);
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
