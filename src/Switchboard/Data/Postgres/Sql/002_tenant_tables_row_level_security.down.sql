DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('public', 'organizations'), ('public', 'organization_members'), ('auth', 'users'),
                                   ('auth', 'user_claims'), ('auth', 'user_logins'), ('auth', 'user_tokens')) AS v(s, n)
    LOOP
        EXECUTE (SELECT coalesce(string_agg(format('DROP POLICY %I ON %I.%I;', policyname, t.s, t.n), ' '), 'SELECT 1')
                 FROM pg_policies WHERE schemaname = t.s AND tablename = t.n);
        EXECUTE format('ALTER TABLE %I.%I NO FORCE ROW LEVEL SECURITY', t.s, t.n);
        EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY', t.s, t.n);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO switchboard_app', t.s, t.n);
    END LOOP;
END
$$;
