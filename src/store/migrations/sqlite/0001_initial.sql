-- The state schema as the first releases created it (recorded as `PRAGMA user_version = 1`).
-- IF NOT EXISTS: a file created before versions were recorded already has these tables.
CREATE TABLE IF NOT EXISTS request_log (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    datetime_ms INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    user_agent TEXT NOT NULL,
    exception_message TEXT,
    http_request_failed_url TEXT,
    http_request_failed_status_code INTEGER,
    xslt_parameter_error_message TEXT,
    perpetual_number INTEGER,
    year_number INTEGER,
    month_number INTEGER,
    parameter_transformation_input TEXT,
    parameter_transformation_output TEXT,
    request_content_type TEXT,
    request_body BLOB
);
CREATE INDEX IF NOT EXISTS request_log_time ON request_log (datetime_ms);
CREATE INDEX IF NOT EXISTS request_log_app_time ON request_log (application, environment, datetime_ms);
CREATE TABLE IF NOT EXISTS request_numbers (
    request_id TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    datetime_ms INTEGER NOT NULL,
    perpetual_number INTEGER,
    year_number INTEGER,
    month_number INTEGER,
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
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS short_link_expiry ON short_link_to_endpoint (expires_ms);
CREATE TABLE IF NOT EXISTS short_link_to_endpoint_parameter (
    code TEXT NOT NULL REFERENCES short_link_to_endpoint (code) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (code, name)
);
