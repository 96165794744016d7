-- Row-level security for knowledge_chunks, the embedded passages of ai_knowledge_base articles.
-- A chunk is readable exactly where its article is: global chunks (organization_id IS NULL) by
-- all, an organization's chunks by its members; admins write their organization's chunks,
-- platform admins the global ones. In practice only trusted work (the indexer) writes them.

-- The organization an article belongs to, whatever the caller may see, so that a chunk can never
-- be filed under another organization than its article's (it would put that article's passage
-- into the wrong organization's answers).
CREATE OR REPLACE FUNCTION app.knowledge_article_organization_id(article_id uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$ SELECT k.organization_id FROM public.ai_knowledge_base k WHERE k.id = article_id $$;

REVOKE ALL ON FUNCTION app.knowledge_article_organization_id(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.knowledge_article_organization_id(uuid) TO switchboard_app, switchboard_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.knowledge_chunks TO switchboard_app, switchboard_system;

-- knowledge_chunks.organization_id is indexed by the KnowledgeChunks migration.
ALTER TABLE public.knowledge_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_chunks FORCE ROW LEVEL SECURITY;

CREATE POLICY "Public knowledge chunks readable by all" ON public.knowledge_chunks
    FOR SELECT TO switchboard_app
    USING (organization_id IS NULL);

CREATE POLICY "Organization knowledge chunks readable by members" ON public.knowledge_chunks
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('member')));

CREATE POLICY "Only admins can create knowledge chunks" ON public.knowledge_chunks
    FOR INSERT TO switchboard_app
    WITH CHECK (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                     ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END);

CREATE POLICY "Only admins can update knowledge chunks" ON public.knowledge_chunks
    FOR UPDATE TO switchboard_app
    USING (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END)
    WITH CHECK (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                     ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END);

CREATE POLICY "Only admins can delete knowledge chunks" ON public.knowledge_chunks
    FOR DELETE TO switchboard_app
    USING (CASE WHEN organization_id IS NULL THEN (SELECT app.is_platform_admin())
                ELSE organization_id IN (SELECT app.org_ids_with_role('admin')) END);

-- Restrictive, so it narrows every write above: the chunk's organization is its article's.
CREATE POLICY "Chunks belong to their article's organization" ON public.knowledge_chunks
    AS RESTRICTIVE FOR ALL TO switchboard_app
    USING (true)
    WITH CHECK (organization_id IS NOT DISTINCT FROM app.knowledge_article_organization_id(article_id));

-- Trusted server work --------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.knowledge_chunks FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
