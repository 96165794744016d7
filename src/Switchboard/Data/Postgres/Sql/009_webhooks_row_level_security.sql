-- Row-level security for webhook_endpoints and webhook_deliveries: an organization's webhooks (their
-- URLs and signing secrets) and their delivery log are its admins' alone, like escalation_rules.
-- Admins manage endpoints on the request path; deliveries are written by trusted work only (the event
-- writer, the delivery worker, and ping/redeliver after the API's admin check), so admins only read them.

GRANT SELECT, INSERT, UPDATE, DELETE ON public.webhook_endpoints TO switchboard_app, switchboard_system;
REVOKE ALL ON public.webhook_deliveries FROM switchboard_app;
GRANT SELECT ON public.webhook_deliveries TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.webhook_deliveries TO switchboard_system;

ALTER TABLE public.webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.webhook_endpoints FORCE ROW LEVEL SECURITY;
ALTER TABLE public.webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.webhook_deliveries FORCE ROW LEVEL SECURITY;

CREATE POLICY "Only organization admins can manage webhooks" ON public.webhook_endpoints
    FOR ALL TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('admin')))
    WITH CHECK (organization_id IN (SELECT app.org_ids_with_role('admin')));

CREATE POLICY "Only organization admins can view webhook deliveries" ON public.webhook_deliveries
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('admin')));

-- Trusted server work --------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.webhook_endpoints FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.webhook_deliveries FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
