-- Money in several currencies (src/finance/fx.rs).
--
-- Exchange rates as published: on `day`, one `base` is worth `rate` `quote`.
-- Shared by every company of the store (a rate is public knowledge); one rate
-- per pair and day, the latest import or `fx set` winning. Rates are exact
-- decimal text: published rates have up to 6 decimals and a cross more.
CREATE TABLE fx_rates (
    base   TEXT NOT NULL CHECK (length(base) = 3),
    quote  TEXT NOT NULL CHECK (length(quote) = 3 AND quote <> base),
    day    TEXT NOT NULL,
    rate   TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (base, quote, day)
) STRICT, WITHOUT ROWID;

-- An invoice in another currency than its company's: `invoices.amount` and
-- `paid_amount` hold the functional amounts every metric reads; here its
-- own amount and the rate it was booked at (functional per unit).
CREATE TABLE invoice_fx (
    company_id INTEGER NOT NULL,
    number     TEXT    NOT NULL,
    currency   TEXT    NOT NULL CHECK (length(currency) = 3),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    rate       TEXT    NOT NULL,
    PRIMARY KEY (company_id, number),
    FOREIGN KEY (company_id, number) REFERENCES invoices (company_id, number) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Its payments in its currency, oldest first (`seq`), each with the rate it
-- was received at: what the realised gain of each is computed from.
CREATE TABLE fx_payments (
    company_id INTEGER NOT NULL,
    number     TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    date       TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    rate       TEXT    NOT NULL,
    PRIMARY KEY (company_id, number, seq),
    FOREIGN KEY (company_id, number) REFERENCES invoice_fx (company_id, number) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Groups of companies consolidated in one currency (src/finance/group.rs).
CREATE TABLE company_groups (
    id       INTEGER PRIMARY KEY,
    name     TEXT    NOT NULL UNIQUE CHECK (name <> ''),
    currency TEXT    NOT NULL CHECK (length(currency) = 3)
) STRICT;

CREATE TABLE group_members (
    group_id   INTEGER NOT NULL REFERENCES company_groups (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, company_id)
) STRICT, WITHOUT ROWID;

-- Customer names (or RFC) that are the group's own besides its members' names.
CREATE TABLE group_intercompany (
    group_id INTEGER NOT NULL REFERENCES company_groups (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL CHECK (name <> ''),
    PRIMARY KEY (group_id, name)
) STRICT, WITHOUT ROWID;
