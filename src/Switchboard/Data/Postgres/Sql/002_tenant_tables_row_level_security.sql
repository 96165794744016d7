-- Row-level security for the tenant tables the seed refers to but does not define: organizations,
-- organization_members and the accounts in auth.*: every tenant table gets ENABLE + FORCE, and 001
-- covers the five seed tables. Secrets (password hashes, security stamps, the
-- organization's identity secret) are not even column-readable by the request path: accounts are
-- managed on the trusted path (ASP.NET Core Identity's store runs on the owner's connection).

ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organizations FORCE ROW LEVEL SECURITY;
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organization_members FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.users FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.user_claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.user_claims FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.user_logins ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.user_logins FORCE ROW LEVEL SECURITY;
ALTER TABLE auth.user_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.user_tokens FORCE ROW LEVEL SECURITY;

-- organizations ------------------------------------------------------------------------------
REVOKE ALL ON public.organizations FROM switchboard_app;
GRANT SELECT (id, name, slug, widget_key, allowed_origins, time_zone, created_at, updated_at) ON public.organizations TO switchboard_app;
GRANT UPDATE (name, allowed_origins, time_zone, updated_at) ON public.organizations TO switchboard_app;

CREATE POLICY "Members can view their organizations" ON public.organizations
    FOR SELECT TO switchboard_app
    USING (id IN (SELECT app.org_ids_with_role('member')));

CREATE POLICY "Admins can update their organization" ON public.organizations
    FOR UPDATE TO switchboard_app
    USING (id IN (SELECT app.org_ids_with_role('admin')))
    WITH CHECK (id IN (SELECT app.org_ids_with_role('admin')));

-- organization_members -----------------------------------------------------------------------
CREATE POLICY "Users can view their own memberships" ON public.organization_members
    FOR SELECT TO switchboard_app
    USING (user_id = (SELECT app.current_user_id()));

CREATE POLICY "Agents can view their organization's members" ON public.organization_members
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('agent')));

CREATE POLICY "Admins manage their organization's members" ON public.organization_members
    FOR ALL TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('admin')))
    WITH CHECK (organization_id IN (SELECT app.org_ids_with_role('admin')));

-- auth.users and Identity's own tables --------------------------------------------------------
REVOKE ALL ON auth.users, auth.user_claims, auth.user_logins, auth.user_tokens FROM switchboard_app;
GRANT SELECT (id, user_name, email, display_name, is_platform_admin, created_at) ON auth.users TO switchboard_app;
GRANT UPDATE (display_name) ON auth.users TO switchboard_app;

CREATE POLICY "Users can view themselves" ON auth.users
    FOR SELECT TO switchboard_app
    USING (id = (SELECT app.current_user_id()));

CREATE POLICY "Agents can view the people of their organizations" ON auth.users
    FOR SELECT TO switchboard_app
    USING (id IN (SELECT m.user_id FROM public.organization_members m
                  WHERE m.organization_id IN (SELECT app.org_ids_with_role('agent'))));

CREATE POLICY "Users can update themselves" ON auth.users
    FOR UPDATE TO switchboard_app
    USING (id = (SELECT app.current_user_id()))
    WITH CHECK (id = (SELECT app.current_user_id()));

-- Trusted server work --------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.organizations FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.organization_members FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON auth.users FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON auth.user_claims FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON auth.user_logins FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON auth.user_tokens FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
