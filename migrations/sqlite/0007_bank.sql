-- Bank accounts and the lines of their statements (src/import/statement).
-- An account's balance is as of `balance_date` (the last statement's closing
-- balance, or the lines summed when no statement gave one).
CREATE TABLE bank_accounts (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (name <> ''),
    currency     TEXT    NOT NULL,
    number       TEXT,
    balance      INTEGER NOT NULL DEFAULT 0,
    balance_date TEXT,
    UNIQUE (company_id, name)
) STRICT;

-- One row per statement import: what the lines came with.
CREATE TABLE bank_imports (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES bank_accounts (id) ON DELETE CASCADE,
    source      TEXT    NOT NULL,
    format      TEXT    NOT NULL,
    added       INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    imported_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- `id` is the line's stable id (reconciliation refers to it). `key` finds a
-- line again when a statement is imported twice: the booking day (4 bytes, big
-- endian, so an account's keys are in date order) and 12 bytes of a hash of the
-- bank's reference, or of the date, amount, description, running balance and
-- occurrence among identical lines of that day in the file. The line goes with
-- its account (one foreign key); `company_id` (the account's, for row policies
-- and the company's date order) and `import_id` are written with it by the
-- import that adds it: a foreign key each would double the cost of a million
-- lines.
CREATE TABLE bank_lines (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL,
    account_id   INTEGER NOT NULL REFERENCES bank_accounts (id) ON DELETE CASCADE,
    import_id    INTEGER NOT NULL,
    date         TEXT    NOT NULL,
    value_date   TEXT,
    amount       INTEGER NOT NULL,
    description  TEXT    NOT NULL,
    counterparty TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    bank_ref     TEXT    NOT NULL,
    balance      INTEGER,
    key          BLOB    NOT NULL,
    UNIQUE (account_id, key)
) STRICT;

CREATE INDEX bank_lines_company_date ON bank_lines (company_id, date, id);

