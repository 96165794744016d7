using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Switchboard.Tenancy;

/// <summary>
/// A valid token of a deleted or locked account authenticates but carries no principal (see
/// <see cref="PrincipalClaimsTransformation"/>): answer 401, sign in again, rather than 403.
/// </summary>
public sealed class SignedOutResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && context.User.Identity?.IsAuthenticated != true)
        {
            return _default.HandleAsync(next, context, policy, PolicyAuthorizationResult.Challenge());
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
