-- Short-link parameters get an explicit `position`, as PostgreSQL has had since 0001 (SQLite kept them in rowid
-- order). The table is rebuilt (SQLite cannot add a NOT NULL column without a default); existing parameters keep
-- their order.
CREATE TABLE short_link_to_endpoint_parameter_new (
    code TEXT NOT NULL REFERENCES short_link_to_endpoint (code) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (code, name)
);
INSERT INTO short_link_to_endpoint_parameter_new (code, position, name, value)
SELECT p.code,
       (SELECT count(*) FROM short_link_to_endpoint_parameter q WHERE q.code = p.code AND q.rowid < p.rowid),
       p.name,
       p.value
FROM short_link_to_endpoint_parameter p;
DROP TABLE short_link_to_endpoint_parameter;
ALTER TABLE short_link_to_endpoint_parameter_new RENAME TO short_link_to_endpoint_parameter;
