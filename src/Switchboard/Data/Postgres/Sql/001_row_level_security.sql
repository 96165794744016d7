-- Row-level security for the five seed tables, exactly the seed's rules (docs/security.md).
-- Runs as the owner that applies migrations. The request path connects as a member of
-- switchboard_app, which owns nothing and cannot bypass RLS; it names its principal per
-- connection with set_config('app.user_id', ...) and set_config('app.session_token', ...).

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'switchboard_app') THEN
        CREATE ROLE switchboard_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    -- Trusted server work (demo seeding, analytics, background jobs) runs as the owner, which
    -- FORCE ROW LEVEL SECURITY subjects to policies too; this role's policies let it through.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'switchboard_system') THEN
        CREATE ROLE switchboard_system NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT pg_has_role(current_user, 'switchboard_system', 'MEMBER') THEN
        EXECUTE format('GRANT switchboard_system TO %I', current_user);
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS app;

-- The principal of the current connection. Empty or unset means anonymous.
CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE SET search_path = ''
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION app.current_session_token() RETURNS text
    LANGUAGE sql STABLE SET search_path = ''
    AS $$ SELECT nullif(current_setting('app.session_token', true), '') $$;

-- Organizations where the current user holds at least min_role (member < agent < admin).
-- SECURITY DEFINER so policies can read memberships whatever the caller may see.
CREATE OR REPLACE FUNCTION app.org_ids_with_role(min_role text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT m.organization_id
        FROM public.organization_members m
        WHERE m.user_id = app.current_user_id()
          AND (CASE m.role WHEN 'admin' THEN 3 WHEN 'agent' THEN 2 WHEN 'member' THEN 1 ELSE 0 END)
           >= (CASE min_role WHEN 'admin' THEN 3 WHEN 'agent' THEN 2 WHEN 'member' THEN 1 ELSE 4 END)
    $$;

CREATE OR REPLACE FUNCTION app.is_platform_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT coalesce((SELECT u.is_platform_admin FROM auth.users u WHERE u.id = app.current_user_id()), false)
    $$;

-- The organization a session belongs to now, whatever the caller may see. Called from a WITH CHECK
-- clause during an UPDATE, it reads the row as it was before the statement.
CREATE OR REPLACE FUNCTION app.session_organization_id(session_id uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$ SELECT s.organization_id FROM public.chatbot_sessions s WHERE s.id = session_id $$;

REVOKE ALL ON FUNCTION app.org_ids_with_role(text), app.is_platform_admin(), app.session_organization_id(uuid) FROM PUBLIC;

GRANT USAGE ON SCHEMA public, auth, app TO switchboard_app, switchboard_system;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO switchboard_app, switchboard_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, auth TO switchboard_app, switchboard_system;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public, auth TO switchboard_app, switchboard_system;
REVOKE ALL ON TABLE public."__EFMigrationsHistory" FROM switchboard_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, auth GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO switchboard_app, switchboard_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, auth GRANT USAGE, SELECT ON SEQUENCES TO switchboard_app, switchboard_system;

-- Columns the policies filter on are indexed by the Initial migration: chatbot_sessions.session_token
-- (UNIQUE), chatbot_sessions.user_id and organization_members.user_id.

ALTER TABLE public.chatbot_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.chatbot_sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE public.chatbot_conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.chatbot_conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE public.ai_knowledge_base ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.ai_knowledge_base FORCE ROW LEVEL SECURITY;
ALTER TABLE public.agent_analytics ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.agent_analytics FORCE ROW LEVEL SECURITY;
ALTER TABLE public.escalation_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.escalation_rules FORCE ROW LEVEL SECURITY;

-- chatbot_sessions ----------------------------------------------------------------------------
-- Users can manage their own sessions. An anonymous widget customer owns the session whose
-- token it presents; it can never attach a session to a user account.
CREATE POLICY "Users can manage their own sessions" ON public.chatbot_sessions
    FOR ALL TO switchboard_app
    USING (user_id = (SELECT app.current_user_id())
           OR session_token = (SELECT app.current_session_token()))
    WITH CHECK (user_id = (SELECT app.current_user_id())
           OR (user_id IS NULL AND session_token = (SELECT app.current_session_token())));

-- Managing a session never moves it to another organization: that would hand its whole
-- conversation (answers drawn from private knowledge, agents' replies) to the other organization's
-- agents. WITH CHECK cannot see the old row, hence the helper; restrictive, so it narrows every UPDATE.
CREATE POLICY "Sessions stay in their organization" ON public.chatbot_sessions
    AS RESTRICTIVE FOR UPDATE TO switchboard_app
    USING (true)
    WITH CHECK (organization_id = app.session_organization_id(id));

-- Agents can view sessions for their organizations (admins rank above agents).
CREATE POLICY "Agents can view sessions for their organizations" ON public.chatbot_sessions
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('agent')));

-- chatbot_conversations ------------------------------------------------------------------------
-- Users can view their own conversation history.
CREATE POLICY "Users can view their own conversation history" ON public.chatbot_conversations
    FOR SELECT TO switchboard_app
    USING (EXISTS (SELECT 1 FROM public.chatbot_sessions s
                   WHERE s.id = session_id
                     AND (s.user_id = (SELECT app.current_user_id())
                          OR s.session_token = (SELECT app.current_session_token()))));

-- The customer's half of "their own conversation": they may add their own user messages.
CREATE POLICY "Users can add their own messages to their own sessions" ON public.chatbot_conversations
    FOR INSERT TO switchboard_app
    WITH CHECK (message_type = 'user' AND agent_id IS NULL
                AND EXISTS (SELECT 1 FROM public.chatbot_sessions s
                            WHERE s.id = session_id
                              AND (s.user_id = (SELECT app.current_user_id())
                                   OR s.session_token = (SELECT app.current_session_token()))));

-- Agents can view conversations for their organizations.
CREATE POLICY "Agents can view conversations for their organizations" ON public.chatbot_conversations
    FOR SELECT TO switchboard_app
    USING (EXISTS (SELECT 1 FROM public.chatbot_sessions s
                   WHERE s.id = session_id
                     AND s.organization_id IN (SELECT app.org_ids_with_role('agent'))));

-- ai_knowledge_base ------------------------------------------------------------------------------
-- Public knowledge (organization_id IS NULL) readable by all.
CREATE POLICY "Public knowledge readable by all" ON public.ai_knowledge_base
    FOR SELECT TO switchboard_app
    USING (organization_id IS NULL);

-- Organization-specific knowledge readable by organization members.
CREATE POLICY "Organization knowledge readable by members" ON public.ai_knowledge_base
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('member')));

-- Only admins can create/update knowledge entries (and delete them): organization admins for
-- their organization's rows, platform admins for global rows.
CREATE POLICY "Only admins can create knowledge entries" ON public.ai_knowledge_base
    FOR INSERT TO switchboard_app
    WITH CHECK (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                     ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END);

CREATE POLICY "Only admins can update knowledge entries" ON public.ai_knowledge_base
    FOR UPDATE TO switchboard_app
    USING (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END)
    WITH CHECK (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                     ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END);

CREATE POLICY "Only admins can delete knowledge entries" ON public.ai_knowledge_base
    FOR DELETE TO switchboard_app
    USING (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END);

-- agent_analytics ----------------------------------------------------------------------------------
-- Only agents can view their own analytics.
CREATE POLICY "Agents can view their own analytics" ON public.agent_analytics
    FOR SELECT TO switchboard_app
    USING (agent_id = (SELECT app.current_user_id()));

-- Organization admins can view all agent analytics for their organization.
CREATE POLICY "Organization admins can view their organization's analytics" ON public.agent_analytics
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('admin')));

-- escalation_rules -----------------------------------------------------------------------------------
-- Only organization admins can manage escalation rules.
CREATE POLICY "Only organization admins can manage escalation rules" ON public.escalation_rules
    FOR ALL TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('admin')))
    WITH CHECK (organization_id IN (SELECT app.org_ids_with_role('admin')));

-- Trusted server work ------------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.chatbot_sessions FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.chatbot_conversations FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.ai_knowledge_base FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.agent_analytics FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.escalation_rules FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
