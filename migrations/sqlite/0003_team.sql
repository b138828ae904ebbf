-- The audit trail: who (the OS user) did what, when. Append-only: triggers
-- refuse UPDATE and DELETE. No foreign key: it outlives what it describes.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    who        TEXT    NOT NULL,
    company_id INTEGER NOT NULL,
    company    TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',
    -- The Katalis process that wrote it: an interface ignores its own writes.
    session    TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_company_at ON audit (company_id, at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

-- KPI targets per company: a report key held to a rule (">= 12", "between 0.4 0.6").
CREATE TABLE targets (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    metric     TEXT    NOT NULL CHECK (metric <> ''),
    rule       TEXT    NOT NULL,
    PRIMARY KEY (company_id, metric)
) STRICT;
