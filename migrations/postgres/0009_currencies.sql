-- Money in several currencies (src/finance/fx.rs).
--
-- Exchange rates as published: on `day`, one `base` is worth `rate` `quote`.
-- Shared by every company of the store (a rate is public knowledge); one rate
-- per pair and day, the latest import or `fx set` winning. Rates are exact
-- NUMERIC: published rates have up to 6 decimals and a cross more.
CREATE TABLE fx_rates (
    base   TEXT    NOT NULL CHECK (length(base) = 3),
    quote  TEXT    NOT NULL CHECK (length(quote) = 3 AND quote <> base),
    day    DATE    NOT NULL,
    rate   NUMERIC NOT NULL CHECK (rate > 0),
    source TEXT    NOT NULL,
    PRIMARY KEY (base, quote, day)
);

-- An invoice in another currency than its company's: `invoices.amount` and
-- `paid_amount` hold the functional amounts every metric reads; here its
-- own amount and the rate it was booked at (functional per unit).
CREATE TABLE invoice_fx (
    company_id BIGINT  NOT NULL,
    number     TEXT    NOT NULL,
    currency   TEXT    NOT NULL CHECK (length(currency) = 3),
    amount     NUMERIC(18,4) NOT NULL CHECK (amount > 0),
    rate       NUMERIC NOT NULL CHECK (rate > 0),
    PRIMARY KEY (company_id, number),
    FOREIGN KEY (company_id, number) REFERENCES invoices (company_id, number) ON DELETE CASCADE
);

-- Its payments in its currency, oldest first (`seq`), each with the rate it
-- was received at: what the realised gain of each is computed from.
CREATE TABLE fx_payments (
    company_id BIGINT  NOT NULL,
    number     TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    date       DATE    NOT NULL,
    amount     NUMERIC(18,4) NOT NULL CHECK (amount > 0),
    rate       NUMERIC NOT NULL CHECK (rate > 0),
    PRIMARY KEY (company_id, number, seq),
    FOREIGN KEY (company_id, number) REFERENCES invoice_fx (company_id, number) ON DELETE CASCADE
);

-- As the invoices: members read, owners write.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['invoice_fx', 'fx_payments'] LOOP
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

-- Rates: anyone reads them; an owner of some company (or an admin) sets them.
CREATE FUNCTION katalis_sets_rates(who TEXT) RETURNS BOOLEAN
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT katalis_is_admin(who)
        OR EXISTS (SELECT 1 FROM company_members WHERE member = who AND role = 'owner')
$$;
ALTER TABLE fx_rates ENABLE ROW LEVEL SECURITY;
ALTER TABLE fx_rates FORCE ROW LEVEL SECURITY;
CREATE POLICY fx_rates_read ON fx_rates FOR SELECT USING (true);
CREATE POLICY fx_rates_insert ON fx_rates FOR INSERT WITH CHECK (katalis_sets_rates(current_user));
CREATE POLICY fx_rates_update ON fx_rates FOR UPDATE USING (katalis_sets_rates(current_user))
    WITH CHECK (katalis_sets_rates(current_user));
CREATE POLICY fx_rates_delete ON fx_rates FOR DELETE USING (katalis_sets_rates(current_user));
GRANT SELECT, INSERT, UPDATE, DELETE ON fx_rates TO PUBLIC;

-- Groups of companies consolidated in one currency (src/finance/group.rs).
CREATE TABLE company_groups (
    id       BIGSERIAL PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE CHECK (name <> ''),
    currency TEXT NOT NULL CHECK (length(currency) = 3)
);

CREATE TABLE group_members (
    group_id   BIGINT NOT NULL REFERENCES company_groups (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, company_id)
);

-- Customer names (or RFC) that are the group's own besides its members' names.
CREATE TABLE group_intercompany (
    group_id BIGINT NOT NULL REFERENCES company_groups (id) ON DELETE CASCADE,
    name     TEXT   NOT NULL CHECK (name <> ''),
    PRIMARY KEY (group_id, name)
);

-- A group is read by whoever is a member of every company in it (a viewer
-- at least), and changed by whoever owns every company in it.
CREATE FUNCTION katalis_group_can(gid BIGINT, need INTEGER, who TEXT) RETURNS BOOLEAN
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT katalis_is_admin(who)
        OR NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = gid
                       AND NOT katalis_can(m.company_id, need, who))
$$;
ALTER TABLE company_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE company_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY company_groups_read ON company_groups FOR SELECT USING (katalis_group_can(id, 1, current_user));
CREATE POLICY company_groups_insert ON company_groups FOR INSERT WITH CHECK (katalis_sets_rates(current_user));
CREATE POLICY company_groups_update ON company_groups FOR UPDATE USING (katalis_group_can(id, 3, current_user))
    WITH CHECK (katalis_group_can(id, 3, current_user));
CREATE POLICY company_groups_delete ON company_groups FOR DELETE USING (katalis_group_can(id, 3, current_user));
GRANT SELECT, INSERT, UPDATE, DELETE ON company_groups TO PUBLIC;
GRANT USAGE ON SEQUENCE company_groups_id_seq TO PUBLIC;

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['group_members', 'group_intercompany'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (katalis_group_can(group_id, 1, current_user))',
                       t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (katalis_group_can(group_id, 3, current_user))',
                       t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (katalis_group_can(group_id, 3, current_user))',
                       t || '_delete', t);
        EXECUTE format('GRANT SELECT, INSERT, DELETE ON %I TO PUBLIC', t);
    END LOOP;
END
$$;
-- A member added must be a company its adder owns.
CREATE POLICY group_members_owner ON group_members AS RESTRICTIVE FOR INSERT
    WITH CHECK (katalis_can(company_id, 3, current_user));
