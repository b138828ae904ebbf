-- Katalis schema for SQLite. Money is INTEGER in units of 10^-4 (never REAL):
-- sums stay exact and overflow is an error. Dates are ISO TEXT (YYYY-MM-DD),
-- months TEXT (YYYY-MM); both sort chronologically as text.

CREATE TABLE companies (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL UNIQUE,
    industry          TEXT    NOT NULL DEFAULT '',
    currency          TEXT    NOT NULL CHECK (length(currency) = 3),
    fiscal_year_start INTEGER NOT NULL DEFAULT 1 CHECK (fiscal_year_start BETWEEN 1 AND 12),
    locale            TEXT    NOT NULL DEFAULT 'en-US',
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE financials (
    company_id        INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month             TEXT    NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    revenue           INTEGER NOT NULL,
    cogs              INTEGER NOT NULL,
    opex              INTEGER NOT NULL,
    sales_marketing   INTEGER,
    depreciation      INTEGER,
    other_income      INTEGER,
    financing         INTEGER,
    cash_end          INTEGER NOT NULL,
    customers_new     INTEGER CHECK (customers_new >= 0),
    customers_churned INTEGER CHECK (customers_churned >= 0),
    customers_end     INTEGER CHECK (customers_end >= 0),
    version           INTEGER NOT NULL DEFAULT 1,
    updated_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (company_id, month)
) STRICT;

CREATE TABLE products (
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    sku           TEXT    NOT NULL CHECK (sku <> ''),
    name          TEXT    NOT NULL,
    unit_price    INTEGER NOT NULL CHECK (unit_price > 0),
    unit_cost     INTEGER NOT NULL CHECK (unit_cost >= 0),
    monthly_units INTEGER NOT NULL CHECK (monthly_units >= 0),
    fixed_costs   INTEGER NOT NULL CHECK (fixed_costs >= 0),
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (company_id, sku)
) STRICT;

CREATE TABLE invoices (
    company_id  INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    number      TEXT    NOT NULL CHECK (number <> ''),
    customer    TEXT    NOT NULL,
    issue_date  TEXT    NOT NULL,
    due_date    TEXT    NOT NULL CHECK (due_date >= issue_date),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    paid_amount INTEGER NOT NULL DEFAULT 0 CHECK (paid_amount >= 0 AND paid_amount <= amount),
    paid_date   TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (company_id, number),
    CHECK ((paid_amount > 0) = (paid_date IS NOT NULL))
) STRICT;


CREATE TABLE scenarios (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (name <> ''),
    drivers      TEXT    NOT NULL,          -- JSON, decimals as strings
    locked       INTEGER NOT NULL DEFAULT 0, -- 1: a frozen budget
    base_month   TEXT,
    start_cash   INTEGER,
    start_revenue INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (company_id, name)
) STRICT;

CREATE TABLE ai_analysis (
    id                INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    agent             TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    model             TEXT    NOT NULL,
    input_hash        TEXT    NOT NULL,
    input             TEXT    NOT NULL,
    output            TEXT    NOT NULL,
    result            TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    cost              INTEGER,               -- 10^-4 units of the price currency
    latency_ms        INTEGER,
    status            TEXT    NOT NULL DEFAULT 'ok',
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX ai_analysis_cache ON ai_analysis (company_id, agent, model, input_hash, created_at);

CREATE TABLE recommendations (
    id           INTEGER PRIMARY KEY,
    analysis_id  INTEGER NOT NULL REFERENCES ai_analysis (id) ON DELETE CASCADE,
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    category     TEXT    NOT NULL,
    priority     INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    impact_score INTEGER NOT NULL CHECK (impact_score BETWEEN 0 AND 100),
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- Locally the OS user owns the file; members are kept so a backup carries them
-- to PostgreSQL, where they are enforced.
CREATE TABLE company_members (
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    member     TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'analyst', 'viewer')),
    PRIMARY KEY (company_id, member)
) STRICT;
