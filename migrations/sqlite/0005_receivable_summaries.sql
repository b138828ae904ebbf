-- What the screens read of the receivables, kept by every write of invoices or
-- financials in that write's transaction (src/store/summaries.rs), so opening a
-- company costs O(months + customers), not O(invoices).

-- Amounts issued (by issue month) and collected (by the month of the later of
-- paid date and issue date) per month: AR at any month end, credit sales, DSO.
CREATE TABLE receivable_months (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month      TEXT    NOT NULL,
    issued     INTEGER NOT NULL,
    collected  INTEGER NOT NULL,
    PRIMARY KEY (company_id, month)
) STRICT, WITHOUT ROWID;

-- The month end the per-customer summaries are as of (the company's latest
-- month of financials; NULL while it has none).
CREATE TABLE receivable_state (
    company_id INTEGER PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    as_of      TEXT
) STRICT;

-- Open receivables at as_of by customer and aging bucket (0 current .. 4 over 90):
-- the amount, the oldest due date and how many invoices.
CREATE TABLE receivable_aging (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT    NOT NULL,
    bucket     INTEGER NOT NULL,
    open       INTEGER NOT NULL,
    oldest_due TEXT    NOT NULL,
    invoices   INTEGER NOT NULL,
    PRIMARY KEY (company_id, customer, bucket)
) STRICT, WITHOUT ROWID;

-- Each customer's days late (summed) and invoices paid by as_of.
CREATE TABLE receivable_late (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT    NOT NULL,
    late_days  INTEGER NOT NULL,
    paid       INTEGER NOT NULL,
    PRIMARY KEY (company_id, customer)
) STRICT, WITHOUT ROWID;

-- Open amounts at as_of by customer and the week (0-12) of the 13-week
-- forecast in which they are expected.
CREATE TABLE receivable_weeks (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT    NOT NULL,
    week       INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    PRIMARY KEY (company_id, customer, week)
) STRICT, WITHOUT ROWID;

-- The invoices fully paid after as_of and issued by it: open at as_of
-- (usually few: payments received after the latest closed month).
CREATE TABLE receivable_paid_after (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT    NOT NULL,
    number     TEXT    NOT NULL,
    PRIMARY KEY (company_id, number)
) STRICT, WITHOUT ROWID;

-- The Collections table pages open invoices by due date: those not fully
-- paid through this index (a tenth of them or so: cheap to keep on import),
-- those paid after as_of through the table above.
CREATE INDEX invoices_unpaid ON invoices (company_id, due_date, number) WHERE paid_amount < amount;
