-- Row-level security for knowledge_answer_tests and knowledge_answer_test_runs: an organization's
-- answer tests and their runs are its admins' tooling; they read both and write the questions.
-- Runs are written by trusted work only (the runner), so the request path may only read them.

GRANT SELECT, INSERT, UPDATE, DELETE ON public.knowledge_answer_tests TO switchboard_app, switchboard_system;
REVOKE ALL ON public.knowledge_answer_test_runs FROM switchboard_app;
GRANT SELECT ON public.knowledge_answer_test_runs TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.knowledge_answer_test_runs TO switchboard_system;

ALTER TABLE public.knowledge_answer_tests ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_answer_tests FORCE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_answer_test_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_answer_test_runs FORCE ROW LEVEL SECURITY;

CREATE POLICY "Admins manage their organization's answer tests" ON public.knowledge_answer_tests
    FOR ALL TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('admin')))
    WITH CHECK (organization_id IN (SELECT app.org_ids_with_role('admin')));

-- The expected article must be one of the test's own organization (never another's, never global).
CREATE POLICY "Expected article belongs to the test's organization" ON public.knowledge_answer_tests
    AS RESTRICTIVE FOR ALL TO switchboard_app
    USING (true)
    WITH CHECK (expected_article_id IS NULL
                OR app.knowledge_article_organization_id(expected_article_id) IS NOT DISTINCT FROM organization_id);

CREATE POLICY "Admins view their organization's answer test runs" ON public.knowledge_answer_test_runs
    FOR SELECT TO switchboard_app
    USING (organization_id IN (SELECT app.org_ids_with_role('admin')));

-- Trusted server work --------------------------------------------------------------------------
CREATE POLICY "System has full access" ON public.knowledge_answer_tests FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
CREATE POLICY "System has full access" ON public.knowledge_answer_test_runs FOR ALL TO switchboard_system USING (true) WITH CHECK (true);
