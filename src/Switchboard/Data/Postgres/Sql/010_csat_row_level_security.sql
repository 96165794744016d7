-- Row-level security for session_csat: customers' ratings of resolved conversations. The organization's agents
-- and admins read them (they read the conversations rated); the widget's rating is written on the trusted path
-- after the session token was checked, so the request path may only read. Customers and other organizations see none.

REVOKE ALL ON public.session_csat FROM switchboard_app;
GRANT SELECT ON public.session_csat TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.session_csat TO switchboard_system;

ALTER TABLE public.session_csat ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.session_csat FORCE ROW LEVEL SECURITY;

CREATE POLICY "Agents view their organization's ratings" ON public.session_csat
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('agent')));

CREATE POLICY "System has full access" ON public.session_csat FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
