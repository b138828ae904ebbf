-- What the screens read of the receivables, kept by every write of invoices or
-- financials in that write's transaction (src/store/summaries.rs), so opening a
-- company costs O(months + customers), not O(invoices).

-- Amounts issued (by issue month) and collected (by the month of the later of
-- paid date and issue date) per month: AR at any month end, credit sales, DSO.
CREATE TABLE receivable_months (
    company_id BIGINT        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month      CHAR(7)       NOT NULL,
    issued     NUMERIC(18,4) NOT NULL,
    collected  NUMERIC(18,4) NOT NULL,
    PRIMARY KEY (company_id, month)
);

-- The month end the per-customer summaries are as of (the company's latest
-- month of financials; NULL while it has none).
CREATE TABLE receivable_state (
    company_id BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    as_of      DATE
);

-- Open receivables at as_of by customer and aging bucket (0 current .. 4 over 90):
-- the amount, the oldest due date and how many invoices.
CREATE TABLE receivable_aging (
    company_id BIGINT        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT          NOT NULL,
    bucket     INTEGER       NOT NULL,
    open       NUMERIC(18,4) NOT NULL,
    oldest_due DATE          NOT NULL,
    invoices   BIGINT        NOT NULL,
    PRIMARY KEY (company_id, customer, bucket)
);

-- Each customer's days late (summed) and invoices paid by as_of.
CREATE TABLE receivable_late (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT   NOT NULL,
    late_days  BIGINT NOT NULL,
    paid       BIGINT NOT NULL,
    PRIMARY KEY (company_id, customer)
);

-- Open amounts at as_of by customer and the week (0-12) of the 13-week
-- forecast in which they are expected.
CREATE TABLE receivable_weeks (
    company_id BIGINT        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT          NOT NULL,
    week       INTEGER       NOT NULL,
    amount     NUMERIC(18,4) NOT NULL,
    PRIMARY KEY (company_id, customer, week)
);

-- The invoices fully paid after as_of and issued by it: open at as_of
-- (usually few: payments received after the latest closed month).
CREATE TABLE receivable_paid_after (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    customer   TEXT   NOT NULL,
    number     TEXT   NOT NULL,
    PRIMARY KEY (company_id, number)
);

-- The Collections table pages open invoices by due date: those not fully
-- paid through this index (a tenth of them or so: cheap to keep on import),
-- those paid after as_of through the table above.
CREATE INDEX invoices_unpaid ON invoices (company_id, due_date, number COLLATE "C") WHERE paid_amount < amount;

-- Members read the summaries; whoever may write the company's invoices and
-- financials (owners) keeps them. The rights are the rows' policies, so the
-- tables are granted to everyone and katalis_grant needs no change.
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['receivable_months', 'receivable_state', 'receivable_aging',
                             'receivable_late', 'receivable_weeks', 'receivable_paid_after'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (katalis_can(company_id, 1, current_user))',
                       t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (katalis_can(company_id, 3, current_user))',
                       t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (katalis_can(company_id, 3, current_user)) '
                       'WITH CHECK (katalis_can(company_id, 3, current_user))', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (katalis_can(company_id, 3, current_user))',
                       t || '_delete', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO PUBLIC', t);
    END LOOP;
END $$;
