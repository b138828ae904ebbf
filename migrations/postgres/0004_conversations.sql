-- Questions asked of the advisors and their answers (with the tool calls
-- that made them), per company and advisor, oldest first. Members read their
-- companies' conversations; analysts and owners add and clear them.
CREATE TABLE conversations (
    id         BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    agent      TEXT   NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    question   TEXT   NOT NULL,
    answer     TEXT   NOT NULL,
    tool_calls JSONB  NOT NULL DEFAULT '[]'
);
CREATE INDEX conversations_company ON conversations (company_id, agent, id);

ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
CREATE POLICY conversations_read ON conversations FOR SELECT USING (katalis_can(company_id, 1, current_user));
CREATE POLICY conversations_insert ON conversations FOR INSERT WITH CHECK (katalis_can(company_id, 2, current_user));
CREATE POLICY conversations_delete ON conversations FOR DELETE USING (katalis_can(company_id, 2, current_user));
GRANT SELECT ON conversations TO PUBLIC;

-- The rights function, with the new table among those an analyst writes.
CREATE OR REPLACE FUNCTION katalis_grant(login TEXT) RETURNS TEXT
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
                   'recommendations, company_members, import_mappings, audit, targets, conversations, _sqlx_migrations FROM %I', login);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', login);
    EXECUTE format('REVOKE EXECUTE ON FUNCTION katalis_grant(TEXT) FROM %I', login);
    IF top = 0 THEN
        RETURN 'none';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', login);
    EXECUTE format('GRANT SELECT ON companies, financials, products, invoices, scenarios, ai_analysis, '
                   'recommendations, company_members, import_mappings, audit, targets, conversations, _sqlx_migrations TO %I', login);
    IF top >= 2 THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON scenarios, ai_analysis, recommendations, targets, conversations TO %I', login);
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

-- Logins granted before this migration get the new table's rights now.
DO $$
DECLARE
    m TEXT;
BEGIN
    FOR m IN SELECT DISTINCT member FROM company_members
             WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = member) LOOP
        PERFORM katalis_grant(m);
    END LOOP;
END $$;
