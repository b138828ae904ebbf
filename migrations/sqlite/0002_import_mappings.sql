-- Saved import mappings: how a company's own spreadsheet columns map onto ours
-- (`katalis import ... --save-mapping NAME`, reused with `--mapping NAME`).
CREATE TABLE import_mappings (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL CHECK (name <> ''),
    kind       TEXT    NOT NULL CHECK (kind IN ('financials', 'products', 'invoices')),
    spec       TEXT    NOT NULL,          -- JSON: columns, sheet, date_format, decimal_comma
    PRIMARY KEY (company_id, name)
) STRICT;
