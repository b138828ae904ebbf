-- Reconciliation (src/finance/reconcile.rs): payments of invoices as rows,
-- what a user decided about a bank line, the payer texts learned from
-- accepted matches, and the company's categorisation rules.
--
-- An invoice's `paid_amount` and `paid_date` stay what every metric reads:
-- the sum of its payments and the latest one's date. What its imports say
-- (the payment of source import) is those columns themselves while the
-- invoice has no other payment; once it has, `stated_paid`/`stated_date`
-- keep the import's part and the columns hold the total (src/store/payments.rs).
ALTER TABLE invoices ADD COLUMN stated_paid INTEGER;
ALTER TABLE invoices ADD COLUMN stated_date TEXT;

-- A payment from the bank (a line's receipt applied to the invoice) or entered
-- by hand. `confirms`: the CFDI payment complement (its UUID) this receipt
-- confirms; such a row is not counted again (the complement already paid it).
CREATE TABLE payments (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL,
    number     TEXT    NOT NULL,
    line_id    INTEGER REFERENCES bank_lines (id),
    date       TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    source     TEXT    NOT NULL CHECK (source IN ('bank', 'manual')),
    confirms   TEXT,
    FOREIGN KEY (company_id, number) REFERENCES invoices (company_id, number) ON DELETE CASCADE
) STRICT;
CREATE INDEX payments_invoice ON payments (company_id, number);
CREATE INDEX payments_line ON payments (line_id);

-- A line's proposal rejected (not proposed again until undone), or its
-- category set by hand (wins over the rules).
CREATE TABLE bank_line_marks (
    line_id    INTEGER PRIMARY KEY REFERENCES bank_lines (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL,
    rejected   INTEGER NOT NULL DEFAULT 0,
    category   TEXT
) STRICT;

-- A payer's text (folded: lower case, no accents) an accepted match tied to a customer.
CREATE TABLE payer_aliases (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    alias      TEXT    NOT NULL,
    customer   TEXT    NOT NULL,
    PRIMARY KEY (company_id, alias)
) STRICT, WITHOUT ROWID;

-- The rules `katalis rules import` stored for a company (TOML, as imported).
CREATE TABLE bank_rules (
    company_id INTEGER PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    source     TEXT    NOT NULL
) STRICT;
