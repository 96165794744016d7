-- Row-level security for knowledge_article_outcomes: the outcomes behind an organization's article
-- scores are its agents' and admins' to read (they see the sessions they come from). Only trusted
-- server work records them (ArticleOutcomes, behind the widget's and the customer's own checks), so
-- the request path may read and nothing else; customers and other organizations see none.

REVOKE ALL ON public.knowledge_article_outcomes FROM switchboard_app;
GRANT SELECT ON public.knowledge_article_outcomes TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.knowledge_article_outcomes TO switchboard_system;

ALTER TABLE public.knowledge_article_outcomes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_article_outcomes FORCE ROW LEVEL SECURITY;

CREATE POLICY "Agents view their organization's article outcomes" ON public.knowledge_article_outcomes
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('agent')));

-- Trusted server work --------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.knowledge_article_outcomes FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
