DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['chatbot_sessions', 'chatbot_conversations', 'ai_knowledge_base', 'agent_analytics', 'escalation_rules']
    LOOP
        EXECUTE (SELECT coalesce(string_agg(format('DROP POLICY %I ON public.%I;', policyname, t), ' '), 'SELECT 1')
                 FROM pg_policies WHERE schemaname = 'public' AND tablename = t);
        EXECUTE format('ALTER TABLE public.%I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE public.%I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
DROP SCHEMA IF EXISTS app CASCADE;
