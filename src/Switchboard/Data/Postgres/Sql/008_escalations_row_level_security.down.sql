DROP POLICY IF EXISTS "Agents view their organization's escalations" ON public.session_escalations;
DROP POLICY IF EXISTS "Agents view their organization's assignments" ON public.session_assignments;
DROP POLICY IF EXISTS "Agents view their organization's notes" ON public.session_notes;
DROP POLICY IF EXISTS "Agents write notes in their own name" ON public.session_notes;
DROP POLICY IF EXISTS "System has full access" ON public.session_escalations;
DROP POLICY IF EXISTS "System has full access" ON public.session_assignments;
DROP POLICY IF EXISTS "System has full access" ON public.session_notes;
