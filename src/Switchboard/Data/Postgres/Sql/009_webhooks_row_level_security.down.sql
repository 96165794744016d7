DROP POLICY IF EXISTS "Only organization admins can manage webhooks" ON public.webhook_endpoints;
DROP POLICY IF EXISTS "System has full access" ON public.webhook_endpoints;
DROP POLICY IF EXISTS "Only organization admins can view webhook deliveries" ON public.webhook_deliveries;
DROP POLICY IF EXISTS "System has full access" ON public.webhook_deliveries;
