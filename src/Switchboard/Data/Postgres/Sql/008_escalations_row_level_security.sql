-- Row-level security for escalation work: session_escalations (why and to whom a session left the AI),
-- session_assignments (the audit trail of who had it) and session_notes (agents' internal notes).
-- Agents and admins of the organization read all three, as they read its sessions. Escalation and
-- assignment are decided by trusted server work only (SystemDb, after the endpoint's checks), because
-- the capacity guarantee spans agents' rows the request path may not update. Notes are written on the
-- request path, by an agent of the organization, in their own name. Customers see none of it.

REVOKE ALL ON public.session_escalations, public.session_assignments, public.session_notes FROM switchboard_app;
GRANT SELECT ON public.session_escalations, public.session_assignments TO switchboard_app;
GRANT SELECT, INSERT ON public.session_notes TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.session_escalations, public.session_assignments, public.session_notes TO switchboard_system;

ALTER TABLE public.session_escalations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.session_escalations FORCE ROW LEVEL SECURITY;
ALTER TABLE public.session_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.session_assignments FORCE ROW LEVEL SECURITY;
ALTER TABLE public.session_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.session_notes FORCE ROW LEVEL SECURITY;

CREATE POLICY "Agents view their organization's escalations" ON public.session_escalations
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('agent')));

CREATE POLICY "Agents view their organization's assignments" ON public.session_assignments
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('agent')));

CREATE POLICY "Agents view their organization's notes" ON public.session_notes
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('agent')));

CREATE POLICY "Agents write notes in their own name" ON public.session_notes
    FOR INSERT TO switchboard_app
    WITH CHECK (organization_id IN (SELECT app.org_ids_with_role('agent'))
                AND agent_id = (SELECT app.current_user_id())
                AND session_id IN (SELECT s.id FROM public.chatbot_sessions s WHERE s.organization_id = session_notes.organization_id));

-- Trusted server work --------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.session_escalations FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.session_assignments FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.session_notes FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
