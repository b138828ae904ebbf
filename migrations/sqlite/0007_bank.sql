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
-- line again when a statement is imported twice: 16 bytes of a hash of the
-- bank's reference, or of the date, amount, description, running balance and
-- occurrence among identical lines of that day in the file.
CREATE TABLE bank_lines (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES bank_accounts (id) ON DELETE CASCADE,
    import_id    INTEGER NOT NULL REFERENCES bank_imports (id) ON DELETE CASCADE,
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

CREATE INDEX bank_lines_account_date ON bank_lines (account_id, date, id);
CREATE INDEX bank_lines_company_date ON bank_lines (company_id, date, id);
