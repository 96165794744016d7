DO $$
BEGIN
    EXECUTE (SELECT coalesce(string_agg(format('DROP POLICY %I ON public.knowledge_import_jobs;', policyname), ' '), 'SELECT 1')
             FROM pg_policies WHERE schemaname = 'public' AND tablename = 'knowledge_import_jobs');
END
$$;
ALTER TABLE public.knowledge_import_jobs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_import_jobs DISABLE ROW LEVEL SECURITY;
