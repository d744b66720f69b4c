-- The state schema as the first releases created it (recorded as version 1 in `endpoints_schema`).
-- IF NOT EXISTS: a database created before versions were recorded already has these tables.
-- `endpoints_number_lock` is PostgreSQL's own: one row per (application, environment), locked with
-- `SELECT ... FOR UPDATE` while a request holds on-demand numbers (SQLite uses an in-process mutex).
CREATE TABLE IF NOT EXISTS endpoints_number_lock (
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    PRIMARY KEY (application, environment)
);
CREATE TABLE IF NOT EXISTS request_log (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    datetime_ms BIGINT NOT NULL,
    status_code INTEGER NOT NULL,
    user_agent TEXT NOT NULL,
    exception_message TEXT,
    http_request_failed_url TEXT,
    http_request_failed_status_code INTEGER,
    xslt_parameter_error_message TEXT,
    perpetual_number BIGINT,
    year_number BIGINT,
    month_number BIGINT,
    parameter_transformation_input TEXT,
    parameter_transformation_output TEXT,
    request_content_type TEXT,
    request_body BYTEA
);
CREATE INDEX IF NOT EXISTS request_log_time ON request_log (datetime_ms);
CREATE INDEX IF NOT EXISTS request_log_app_time ON request_log (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_numbers (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    datetime_ms BIGINT NOT NULL,
    perpetual_number BIGINT,
    year_number BIGINT,
    month_number BIGINT,
    UNIQUE (application, environment, perpetual_number)
);
CREATE INDEX IF NOT EXISTS request_numbers_time ON request_numbers (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_log_expression_capture (
    request_id TEXT NOT NULL REFERENCES request_log (request_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (request_id, key)
);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint (
    code TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS short_link_expiry ON short_link_to_endpoint (expires_ms);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint_parameter (
    code TEXT NOT NULL REFERENCES short_link_to_endpoint (code) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (code, name)
);
