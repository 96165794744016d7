DROP POLICY IF EXISTS "Agents view their organization's article outcomes" ON public.knowledge_article_outcomes;
DROP POLICY IF EXISTS "System has full access" ON public.knowledge_article_outcomes;
