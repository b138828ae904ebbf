-- A team on one PostgreSQL: each person is a login role; `company_members`
-- says who holds which role in which company, and row-level security enforces
-- it on every company-scoped table, whatever client reads or writes:
--   viewer  reads;
--   analyst also writes scenarios, budgets and AI runs;
--   owner   also imports, edits records and manages members.
-- The admin (a member of the role that owns these tables; superusers too) may
-- do everything, including creating companies and the first owner.
-- Table privileges are granted per login by katalis_grant(), from its highest
-- role anywhere; the policies then narrow every statement to the companies
-- where that role holds.

-- Who owns the schema's tables (the role migrations ran as).
CREATE FUNCTION katalis_is_admin(who TEXT) RETURNS BOOLEAN
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = who AND rolsuper)
        OR pg_has_role(who, (SELECT relowner FROM pg_class WHERE oid = 'public.companies'::regclass), 'MEMBER')
$$;

-- 0 none, 1 viewer, 2 analyst, 3 owner.
CREATE FUNCTION katalis_rank(cid BIGINT, who TEXT) RETURNS INTEGER
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT COALESCE(MAX(CASE role WHEN 'owner' THEN 3 WHEN 'analyst' THEN 2 WHEN 'viewer' THEN 1 END), 0)
    FROM company_members WHERE company_id = cid AND member = who
$$;

-- Whether `who` may do what needs rank `need` in company `cid`.
CREATE FUNCTION katalis_can(cid BIGINT, need INTEGER, who TEXT) RETURNS BOOLEAN
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT katalis_is_admin(who) OR katalis_rank(cid, who) >= need
$$;

-- The audit trail: who did what, when. Append-only: no UPDATE or DELETE policy,
-- no such grant; no foreign key, so it outlives what it describes.
CREATE TABLE audit (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    who        TEXT   NOT NULL DEFAULT current_user,
    company_id BIGINT NOT NULL,
    company    TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    detail     TEXT   NOT NULL DEFAULT '',
    -- The Katalis process that wrote it: an interface ignores its own writes.
    session    TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX audit_company_at ON audit (company_id, at);

-- KPI targets per company: a report key held to a rule (">= 12", "between 0.4 0.6").
CREATE TABLE targets (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    metric     TEXT   NOT NULL CHECK (metric <> ''),
    rule       TEXT   NOT NULL,
    PRIMARY KEY (company_id, metric)
);

-- companies: members read theirs; owners update; admins create and delete.
ALTER TABLE companies ENABLE ROW LEVEL SECURITY;
ALTER TABLE companies FORCE ROW LEVEL SECURITY;
CREATE POLICY companies_read ON companies FOR SELECT USING (katalis_can(id, 1, current_user));
CREATE POLICY companies_insert ON companies FOR INSERT WITH CHECK (katalis_is_admin(current_user));
CREATE POLICY companies_update ON companies FOR UPDATE
    USING (katalis_can(id, 3, current_user)) WITH CHECK (katalis_can(id, 3, current_user));
CREATE POLICY companies_delete ON companies FOR DELETE USING (katalis_is_admin(current_user));

-- Company-scoped tables: read by members, written by the rank each needs.
DO $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('financials', 3), ('products', 3), ('invoices', 3), ('import_mappings', 3),
        ('company_members', 3),
        ('scenarios', 2), ('ai_analysis', 2), ('recommendations', 2), ('targets', 2)
    ) AS v(name, need) LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.name);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.name);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (katalis_can(company_id, 1, current_user))',
                       t.name || '_read', t.name);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (katalis_can(company_id, %s, current_user))',
                       t.name || '_insert', t.name, t.need);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (katalis_can(company_id, %s, current_user)) '
                       'WITH CHECK (katalis_can(company_id, %s, current_user))',
                       t.name || '_update', t.name, t.need, t.need);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (katalis_can(company_id, %s, current_user))',
                       t.name || '_delete', t.name, t.need);
    END LOOP;
END $$;

-- A member also sees their own membership rows (to know their role); owners see all.
DROP POLICY company_members_read ON company_members;
CREATE POLICY company_members_read ON company_members FOR SELECT
    USING (member = current_user OR katalis_can(company_id, 3, current_user));

-- The audit: members read their companies' rows and add their own; nobody
-- changes or removes one.
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON audit FOR SELECT USING (katalis_can(company_id, 1, current_user));
CREATE POLICY audit_insert ON audit FOR INSERT
    WITH CHECK ((who = current_user AND katalis_can(company_id, 2, current_user)) OR katalis_is_admin(current_user));

-- Table privileges for one login, from its highest role in any company:
-- revoked, then granted again. Run by an admin or an owner.
CREATE FUNCTION katalis_grant(login TEXT) RETURNS TEXT
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    top INTEGER;
    caller TEXT := session_user;
BEGIN
    -- The rights follow from company_members alone (which the policies guard),
    -- so any owner may bring a login's rights in line with its memberships.
    IF NOT katalis_is_admin(caller)
       AND NOT EXISTS (SELECT 1 FROM company_members WHERE member = caller AND role = 'owner') THEN
        RAISE EXCEPTION 'only an owner or an admin may change rights'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF katalis_is_admin(login) THEN
        RETURN 'admin';
    END IF;
    SELECT COALESCE(MAX(CASE role WHEN 'owner' THEN 3 WHEN 'analyst' THEN 2 WHEN 'viewer' THEN 1 END), 0)
        INTO top FROM company_members WHERE member = login;
    EXECUTE format('REVOKE ALL ON companies, financials, products, invoices, scenarios, ai_analysis, '
                   'recommendations, company_members, import_mappings, audit, targets, _sqlx_migrations FROM %I', login);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', login);
    EXECUTE format('REVOKE EXECUTE ON FUNCTION katalis_grant(TEXT) FROM %I', login);
    IF top = 0 THEN
        RETURN 'none';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', login);
    EXECUTE format('GRANT SELECT ON companies, financials, products, invoices, scenarios, ai_analysis, '
                   'recommendations, company_members, import_mappings, audit, targets, _sqlx_migrations TO %I', login);
    IF top >= 2 THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON scenarios, ai_analysis, recommendations, targets TO %I', login);
        EXECUTE format('GRANT INSERT ON audit TO %I', login);
        EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %I', login);
    END IF;
    IF top >= 3 THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON financials, products, invoices, import_mappings, '
                       'company_members TO %I', login);
        EXECUTE format('GRANT UPDATE ON companies TO %I', login);
        EXECUTE format('GRANT EXECUTE ON FUNCTION katalis_grant(TEXT) TO %I', login);
    END IF;
    RETURN CASE top WHEN 3 THEN 'owner' WHEN 2 THEN 'analyst' ELSE 'viewer' END;
END $$;
REVOKE EXECUTE ON FUNCTION katalis_grant(TEXT) FROM PUBLIC;

-- Any login may look: the policies show it no row of a company it is not a
-- member of, so a stranger opening Katalis sees an empty store, not an error.
GRANT SELECT ON companies, financials, products, invoices, scenarios, ai_analysis, recommendations,
    company_members, import_mappings, audit, targets, _sqlx_migrations TO PUBLIC;
