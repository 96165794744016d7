DROP POLICY IF EXISTS "Admins manage their organization's answer tests" ON public.knowledge_answer_tests;
DROP POLICY IF EXISTS "Expected article belongs to the test's organization" ON public.knowledge_answer_tests;
DROP POLICY IF EXISTS "System has full access" ON public.knowledge_answer_tests;
DROP POLICY IF EXISTS "Admins view their organization's answer test runs" ON public.knowledge_answer_test_runs;
DROP POLICY IF EXISTS "System has full access" ON public.knowledge_answer_test_runs;
