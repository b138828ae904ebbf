-- Katalis schema for PostgreSQL. Money is NUMERIC(18,4): the import scale, so
-- nothing is rounded by the database (rounding happens in Rust, half-even).

CREATE TABLE companies (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT     NOT NULL UNIQUE,
    industry          TEXT     NOT NULL DEFAULT '',
    currency          CHAR(3)  NOT NULL,
    fiscal_year_start SMALLINT NOT NULL DEFAULT 1 CHECK (fiscal_year_start BETWEEN 1 AND 12),
    locale            TEXT     NOT NULL DEFAULT 'en-US',
    version           BIGINT   NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE financials (
    company_id        BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month             CHAR(7) NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    revenue           NUMERIC(18,4) NOT NULL,
    cogs              NUMERIC(18,4) NOT NULL,
    opex              NUMERIC(18,4) NOT NULL,
    sales_marketing   NUMERIC(18,4),
    depreciation      NUMERIC(18,4),
    other_income      NUMERIC(18,4),
    financing         NUMERIC(18,4),
    cash_end          NUMERIC(18,4) NOT NULL,
    customers_new     BIGINT CHECK (customers_new >= 0),
    customers_churned BIGINT CHECK (customers_churned >= 0),
    customers_end     BIGINT CHECK (customers_end >= 0),
    version           BIGINT NOT NULL DEFAULT 1,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, month)
);

CREATE TABLE products (
    company_id    BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    sku           TEXT   NOT NULL CHECK (sku <> ''),
    name          TEXT   NOT NULL,
    unit_price    NUMERIC(18,4) NOT NULL CHECK (unit_price > 0),
    unit_cost     NUMERIC(18,4) NOT NULL CHECK (unit_cost >= 0),
    monthly_units NUMERIC(18,4) NOT NULL CHECK (monthly_units >= 0),
    fixed_costs   NUMERIC(18,4) NOT NULL CHECK (fixed_costs >= 0),
    version       BIGINT NOT NULL DEFAULT 1,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, sku)
);

-- invoices.company_id is checked once per statement by the triggers below, not
-- by a foreign key: a per-row key check costs more than the COPY itself at a
-- million rows. Deleting a company deletes its invoices, as a cascade would.
CREATE TABLE invoices (
    company_id  BIGINT NOT NULL,
    number      TEXT   NOT NULL CHECK (number <> ''),
    customer    TEXT   NOT NULL,
    issue_date  DATE   NOT NULL,
    due_date    DATE   NOT NULL CHECK (due_date >= issue_date),
    amount      NUMERIC(18,4) NOT NULL CHECK (amount > 0),
    paid_amount NUMERIC(18,4) NOT NULL DEFAULT 0 CHECK (paid_amount >= 0 AND paid_amount <= amount),
    paid_date   DATE,
    version     BIGINT NOT NULL DEFAULT 1,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, number),
    CHECK ((paid_amount > 0) = (paid_date IS NOT NULL))
);


CREATE FUNCTION katalis_invoices_company_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM katalis_new_invoices n
               WHERE NOT EXISTS (SELECT 1 FROM companies c WHERE c.id = n.company_id)) THEN
        RAISE EXCEPTION 'invoices.company_id refers to no company' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER invoices_company_insert AFTER INSERT ON invoices
    REFERENCING NEW TABLE AS katalis_new_invoices
    FOR EACH STATEMENT EXECUTE FUNCTION katalis_invoices_company_check();

CREATE TRIGGER invoices_company_update AFTER UPDATE ON invoices
    REFERENCING NEW TABLE AS katalis_new_invoices
    FOR EACH STATEMENT EXECUTE FUNCTION katalis_invoices_company_check();

CREATE FUNCTION katalis_company_delete_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM invoices WHERE company_id = OLD.id;
    RETURN OLD;
END $$;

CREATE TRIGGER companies_delete_invoices BEFORE DELETE ON companies
    FOR EACH ROW EXECUTE FUNCTION katalis_company_delete_invoices();

CREATE TABLE scenarios (
    id            BIGSERIAL PRIMARY KEY,
    company_id    BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL CHECK (name <> ''),
    drivers       JSONB  NOT NULL,
    locked        BOOLEAN NOT NULL DEFAULT false,
    base_month    CHAR(7),
    start_cash    NUMERIC(18,4),
    start_revenue NUMERIC(18,4),
    version       BIGINT NOT NULL DEFAULT 1,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (company_id, name)
);

CREATE TABLE ai_analysis (
    id                BIGSERIAL PRIMARY KEY,
    company_id        BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    agent             TEXT   NOT NULL,
    provider          TEXT   NOT NULL,
    model             TEXT   NOT NULL,
    input_hash        TEXT   NOT NULL,
    input             TEXT   NOT NULL,
    output            TEXT   NOT NULL,
    result            JSONB,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    cost              NUMERIC(18,4),
    latency_ms        BIGINT,
    status            TEXT   NOT NULL DEFAULT 'ok',
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX ai_analysis_cache ON ai_analysis (company_id, agent, model, input_hash, created_at);

CREATE TABLE recommendations (
    id           BIGSERIAL PRIMARY KEY,
    analysis_id  BIGINT NOT NULL REFERENCES ai_analysis (id) ON DELETE CASCADE,
    company_id   BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    category     TEXT   NOT NULL,
    priority     SMALLINT NOT NULL CHECK (priority BETWEEN 1 AND 5),
    title        TEXT   NOT NULL,
    description  TEXT   NOT NULL,
    impact_score SMALLINT NOT NULL CHECK (impact_score BETWEEN 0 AND 100),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Members and their roles; row-level security policies that enforce them per
-- company are added with the access-control work.
CREATE TABLE company_members (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    member     TEXT   NOT NULL,
    role       TEXT   NOT NULL CHECK (role IN ('owner', 'analyst', 'viewer')),
    PRIMARY KEY (company_id, member)
);
