-- Bank accounts and the lines of their statements (src/import/statement).
-- An account's balance is as of `balance_date` (the last statement's closing
-- balance, or the lines summed when no statement gave one).
CREATE TABLE bank_accounts (
    id           BIGSERIAL PRIMARY KEY,
    company_id   BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL CHECK (name <> ''),
    currency     TEXT   NOT NULL,
    number       TEXT,
    balance      NUMERIC(18,4) NOT NULL DEFAULT 0,
    balance_date DATE,
    UNIQUE (company_id, name)
);

-- One row per statement import: what the lines came with.
CREATE TABLE bank_imports (
    id          BIGSERIAL PRIMARY KEY,
    company_id  BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    account_id  BIGINT NOT NULL REFERENCES bank_accounts (id) ON DELETE CASCADE,
    source      TEXT   NOT NULL,
    format      TEXT   NOT NULL,
    added       BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- `id` is the line's stable id (reconciliation refers to it). `key` finds a
-- line again when a statement is imported twice: the booking day (4 bytes, big
-- endian, so an account's keys are in date order) and 12 bytes of a hash of the
-- bank's reference, or of the date, amount, description, running balance and
-- occurrence among identical lines of that day in the file. `account_id`,
-- `company_id` (the account's, for row policies and the company's date order)
-- and `import_id` are written together by the import that adds the line, in
-- the transaction that made or locked the account. As the invoices' company
-- (0001), the account is checked once per statement by the triggers below,
-- not by a foreign key, whose check per row would double the cost of a
-- million lines; removing an account removes its lines, as a cascade would.
CREATE TABLE bank_lines (
    id           BIGSERIAL PRIMARY KEY,
    company_id   BIGINT NOT NULL,
    account_id   BIGINT NOT NULL,
    import_id    BIGINT NOT NULL,
    date         DATE   NOT NULL,
    value_date   DATE,
    amount       NUMERIC(18,4) NOT NULL,
    description  TEXT   NOT NULL,
    counterparty TEXT   NOT NULL,
    reference    TEXT   NOT NULL,
    bank_ref     TEXT   NOT NULL,
    balance      NUMERIC(18,4),
    key          BYTEA  NOT NULL,
    UNIQUE (account_id, key)
);

CREATE INDEX bank_lines_company_date ON bank_lines (company_id, date, id);

CREATE FUNCTION katalis_bank_lines_account_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM katalis_new_bank_lines n
               WHERE NOT EXISTS (SELECT 1 FROM bank_accounts a
                                 WHERE a.id = n.account_id AND a.company_id = n.company_id)) THEN
        RAISE EXCEPTION 'bank_lines.account_id refers to no bank account of the line''s company'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bank_lines_account_insert AFTER INSERT ON bank_lines
    REFERENCING NEW TABLE AS katalis_new_bank_lines
    FOR EACH STATEMENT EXECUTE FUNCTION katalis_bank_lines_account_check();

CREATE TRIGGER bank_lines_account_update AFTER UPDATE ON bank_lines
    REFERENCING NEW TABLE AS katalis_new_bank_lines
    FOR EACH STATEMENT EXECUTE FUNCTION katalis_bank_lines_account_check();

-- An account removed (or its company) takes its lines with it.
CREATE FUNCTION katalis_bank_account_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM bank_lines WHERE account_id = OLD.id;
    RETURN OLD;
END
$$;
CREATE TRIGGER bank_account_gone AFTER DELETE ON bank_accounts
    FOR EACH ROW EXECUTE FUNCTION katalis_bank_account_gone();

-- As the invoices: members read, owners write.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['bank_accounts', 'bank_imports', 'bank_lines'] LOOP
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
GRANT USAGE ON SEQUENCE bank_accounts_id_seq, bank_imports_id_seq, bank_lines_id_seq TO PUBLIC;
