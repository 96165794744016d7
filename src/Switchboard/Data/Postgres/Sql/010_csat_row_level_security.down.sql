DROP POLICY IF EXISTS "Agents view their organization's ratings" ON public.session_csat;
DROP POLICY IF EXISTS "System has full access" ON public.session_csat;
