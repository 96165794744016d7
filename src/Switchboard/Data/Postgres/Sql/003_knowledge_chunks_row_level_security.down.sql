DO $$
BEGIN
    EXECUTE (SELECT coalesce(string_agg(format('DROP POLICY %I ON public.knowledge_chunks;', policyname), ' '), 'SELECT 1')
             FROM pg_policies WHERE schemaname = 'public' AND tablename = 'knowledge_chunks');
END
$$;
ALTER TABLE public.knowledge_chunks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_chunks DISABLE ROW LEVEL SECURITY;
DROP FUNCTION IF EXISTS app.knowledge_article_organization_id(uuid);
