-- Row-level security for knowledge_import_jobs, the progress of knowledge imports: members of an
-- organization follow its imports, admins start them. The background import updates the rows on the
-- trusted path (switchboard_system).

GRANT SELECT, INSERT, UPDATE, DELETE ON public.knowledge_import_jobs TO switchboard_app, switchboard_system;

-- knowledge_import_jobs.organization_id leads an index of the KnowledgeImport migration.
ALTER TABLE public.knowledge_import_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_import_jobs FORCE ROW LEVEL SECURITY;

CREATE POLICY "Members can view their organization's imports" ON public.knowledge_import_jobs
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('member')));

CREATE POLICY "Only admins can start imports" ON public.knowledge_import_jobs
    FOR INSERT TO switchboard_app
    WITH CHECK (organization_id IN (SELECT app.org_ids_with_role('admin')));

-- Trusted server work --------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.knowledge_import_jobs FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
