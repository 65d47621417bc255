-- planlabor store schema (version: store/migrations.py). Plain SQL shared by all backends
-- (PostgreSQL: types translated by store/pgsql.py; its extras in postgres.sql).
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
CREATE TABLE IF NOT EXISTS layers (
    layer_id VARCHAR PRIMARY KEY,
    name VARCHAR,
    crs VARCHAR,
    parent_layer VARCHAR,
    valid_from DATE,
    valid_to DATE,
    has_geometry BOOLEAN,
    source VARCHAR,
    import_id INTEGER
);
CREATE TABLE IF NOT EXISTS areas (
    layer_id VARCHAR NOT NULL,
    area_id VARCHAR NOT NULL,
    name VARCHAR,
    parent_id VARCHAR,
    geom BLOB,
    PRIMARY KEY (layer_id, area_id)
);
CREATE TABLE IF NOT EXISTS imports (
    import_id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL,
    file VARCHAR,
    sha256 VARCHAR,
    imported_at TIMESTAMP,
    options VARCHAR,
    layer_id VARCHAR,
    rows_read BIGINT,
    values_imported BIGINT,
    quarantined BIGINT,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS observations (
    layer_id VARCHAR NOT NULL,
    area_id VARCHAR NOT NULL,
    variable VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    value DOUBLE,
    flag VARCHAR,
    import_id INTEGER NOT NULL,
    superseded_by INTEGER
);
-- What the file said about each imported variable (label, unit, kind), newest import first.
CREATE TABLE IF NOT EXISTS variable_info (
    import_id INTEGER NOT NULL,
    variable VARCHAR NOT NULL,
    label VARCHAR,
    unit VARCHAR,
    kind VARCHAR,
    definition VARCHAR,
    source VARCHAR
);
CREATE TABLE IF NOT EXISTS quarantine (
    import_id INTEGER NOT NULL,
    source_row BIGINT,
    layer_id VARCHAR,
    area_id VARCHAR,
    variable VARCHAR,
    period VARCHAR,
    value DOUBLE,
    flag VARCHAR,
    reason VARCHAR
);
CREATE TABLE IF NOT EXISTS indicator_definitions (
    indicator_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    definition VARCHAR NOT NULL,
    registered_at TIMESTAMP,
    PRIMARY KEY (indicator_id, version)
);
-- Indicator values: one small row per (layer, indicator, period) in indicator_sets and the
-- values per area in indicator_data (integer set key: fast to write at national scale).
CREATE TABLE IF NOT EXISTS indicator_sets (
    set_id INTEGER PRIMARY KEY,
    layer_id VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    compute_id INTEGER
);
CREATE TABLE IF NOT EXISTS indicator_data (
    set_id INTEGER NOT NULL,
    area_id VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    flag VARCHAR
);
CREATE OR REPLACE VIEW indicator_values AS
    SELECT s.layer_id, d.area_id, s.indicator_id, s.period, d.value, d.numerator, d.denominator,
           d.flag, s.compute_id
    FROM indicator_data d JOIN indicator_sets s USING (set_id);
CREATE TABLE IF NOT EXISTS computations (
    compute_id INTEGER PRIMARY KEY,
    computed_at TIMESTAMP,
    indicators INTEGER,
    values_written BIGINT
);
CREATE TABLE IF NOT EXISTS facilities (
    facility_type VARCHAR NOT NULL,
    facility_id VARCHAR NOT NULL,
    name VARCHAR,
    capacity DOUBLE,
    attributes VARCHAR,
    geom BLOB,
    import_id INTEGER,
    PRIMARY KEY (facility_type, facility_id)
);
CREATE TABLE IF NOT EXISTS crosswalks (
    source_layer VARCHAR NOT NULL,
    target_layer VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    overlap_m2 DOUBLE,
    w_extensive DOUBLE,
    w_intensive DOUBLE,
    built_at TIMESTAMP
);
-- (users of the internal atlas live in atlas-auth.sqlite, see planlabor/atlas/sessions.py)
-- Measures (Maßnahmen) and action-plan items (UN-BRK): one row per version; the newest row of
-- a measure_id is current, a row with removed = true ends it (earlier versions stay).
CREATE TABLE IF NOT EXISTS measures (
    measure_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    theme VARCHAR,
    layer_id VARCHAR,
    areas VARCHAR,
    start_date DATE,
    end_date DATE,
    budget DOUBLE,
    target_indicator VARCHAR,
    field_of_action VARCHAR,
    responsible VARCHAR,
    deadline DATE,
    status VARCHAR,
    indicators VARCHAR,
    description VARCHAR,
    public BOOLEAN,
    removed BOOLEAN,
    import_id INTEGER,
    recorded_at TIMESTAMP,
    PRIMARY KEY (measure_id, version)
);
-- Effect estimates of measures (Wirkungsanalyse), kept for atlas and reports.
CREATE TABLE IF NOT EXISTS effect_estimates (
    measure_id VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    estimated_at TIMESTAMP,
    estimate DOUBLE,
    ci_low DOUBLE,
    ci_high DOUBLE,
    p_value DOUBLE,
    result VARCHAR
);
-- Controlling (KLR): costs and cases per product, cost centre, period and area.
CREATE TABLE IF NOT EXISTS controlling (
    import_id INTEGER NOT NULL,
    product VARCHAR NOT NULL,
    cost_centre VARCHAR,
    period VARCHAR NOT NULL,
    layer_id VARCHAR,
    area_id VARCHAR,
    costs DOUBLE,
    cases DOUBLE,
    superseded_by INTEGER
);
CREATE TABLE IF NOT EXISTS controlling_targets (
    import_id INTEGER NOT NULL,
    product VARCHAR NOT NULL,
    kennzahl VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    target DOUBLE NOT NULL,
    tolerance DOUBLE,
    direction VARCHAR,
    contract VARCHAR,
    superseded_by INTEGER
);
-- Who imported, changed, reverted, computed or published what and when (issue 18).
CREATE TABLE IF NOT EXISTS audit (
    audit_id BIGINT NOT NULL,
    happened_at TIMESTAMP NOT NULL,
    actor VARCHAR,
    db_user VARCHAR,
    action VARCHAR NOT NULL,
    subject VARCHAR,
    import_id INTEGER,
    details VARCHAR
);
-- Street network (planlabor network import; only the current one is kept, its import in the
-- log): nodes in the workspace CRS; edges with their ground length and, per profile, 0 closed,
-- 1 usable in drawing direction, 2 against it, 3 both ways; car speed in km/h.
CREATE TABLE IF NOT EXISTS network_nodes (
    node INTEGER NOT NULL,
    osm_id BIGINT,
    x DOUBLE NOT NULL,
    y DOUBLE NOT NULL,
    import_id INTEGER
);
CREATE TABLE IF NOT EXISTS network_edges (
    u INTEGER NOT NULL,
    v INTEGER NOT NULL,
    length_m DOUBLE NOT NULL,
    way_id BIGINT,
    highway VARCHAR,
    fuss UTINYINT,
    rad UTINYINT,
    auto UTINYINT,
    rollstuhl UTINYINT,
    auto_kmh DOUBLE,
    import_id INTEGER
);
-- Isochrones of facilities (planlabor network isochrones): the area from where a facility is
-- reached within the time, on the network of import network_import.
CREATE TABLE IF NOT EXISTS isochrones (
    facility_type VARCHAR NOT NULL,
    facility_id VARCHAR NOT NULL,
    profile VARCHAR NOT NULL,
    minutes DOUBLE NOT NULL,
    area_m2 DOUBLE,
    geom BLOB,
    network_import INTEGER,
    computed_at TIMESTAMP,
    PRIMARY KEY (facility_type, facility_id, profile, minutes)
);
-- display names of a layer for one area and for several ("Planungsraum" / "Planungsräume")
CREATE TABLE IF NOT EXISTS layer_names (
    layer_id VARCHAR PRIMARY KEY,
    singular VARCHAR NOT NULL
);
-- Geheimhaltung: the suppression pattern of the last computation (planlabor.confidentiality),
-- keyed by a fingerprint of the computation, the rules and the catalog.
CREATE TABLE IF NOT EXISTS suppression (
    fingerprint VARCHAR NOT NULL,
    layer_id VARCHAR NOT NULL,
    area_id VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    status VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS suppression_meta (
    fingerprint VARCHAR NOT NULL,
    n_suppressed INTEGER NOT NULL
);
-- Named area groups (issue 19): a selection of areas of one layer saved under a name by a user
-- of the internal atlas view or `planlabor gruppe anlegen`; reports use them (--gruppe).  area_keys
-- holds the area keys as a JSON list (portable between DuckDB and PostgreSQL).
CREATE TABLE IF NOT EXISTS area_groups (
    name VARCHAR PRIMARY KEY,
    layer_id VARCHAR NOT NULL,
    area_keys VARCHAR NOT NULL,
    created_by VARCHAR,
    created_at TIMESTAMP
);
