-- Reconciliation (src/finance/reconcile.rs): payments of invoices as rows,
-- what a user decided about a bank line, the payer texts learned from
-- accepted matches, and the company's categorisation rules.
--
-- An invoice's `paid_amount` and `paid_date` stay what every metric reads:
-- the sum of its payments and the latest one's date. What its imports say
-- (the payment of source import) is those columns themselves while the
-- invoice has no other payment; once it has, `stated_paid`/`stated_date`
-- keep the import's part and the columns hold the total (src/store/payments.rs).
ALTER TABLE invoices ADD COLUMN stated_paid NUMERIC(18,4);
ALTER TABLE invoices ADD COLUMN stated_date DATE;

-- A payment from the bank (a line's receipt applied to the invoice) or entered
-- by hand. `confirms`: the CFDI payment complement (its UUID) this receipt
-- confirms; such a row is not counted again (the complement already paid it).
CREATE TABLE payments (
    id         BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL,
    number     TEXT   NOT NULL,
    line_id    BIGINT REFERENCES bank_lines (id),
    date       DATE   NOT NULL,
    amount     NUMERIC(18,4) NOT NULL CHECK (amount > 0),
    source     TEXT   NOT NULL CHECK (source IN ('bank', 'manual')),
    confirms   TEXT,
    FOREIGN KEY (company_id, number) REFERENCES invoices (company_id, number) ON DELETE CASCADE
);
CREATE INDEX payments_invoice ON payments (company_id, number);
CREATE INDEX payments_line ON payments (line_id);

-- A line's proposal rejected (not proposed again until undone), or its
-- category set by hand (wins over the rules).
CREATE TABLE bank_line_marks (
    line_id    BIGINT PRIMARY KEY REFERENCES bank_lines (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL,
    rejected   BOOLEAN NOT NULL DEFAULT false,
    category   TEXT
);

-- A payer's text (folded: lower case, no accents) an accepted match tied to a customer.
CREATE TABLE payer_aliases (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    alias      TEXT   NOT NULL,
    customer   TEXT   NOT NULL,
    PRIMARY KEY (company_id, alias)
);

-- The rules `katalis rules import` stored for a company (TOML, as imported).
CREATE TABLE bank_rules (
    company_id BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    source     TEXT   NOT NULL
);

-- As the invoices: members read, owners write.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['payments', 'bank_line_marks', 'payer_aliases', 'bank_rules'] LOOP
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
END
$$;
GRANT USAGE ON SEQUENCE payments_id_seq TO PUBLIC;
