using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;
using Switchboard.Tenancy;

namespace Switchboard.Features.Accounts;

public sealed record TokenRequest(string? Email, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record MeResponse(Guid UserId, string? Email, string DisplayName, bool IsPlatformAdmin, List<MyOrganization> Organizations);

public sealed record MyOrganization(Guid Id, string Name, string Slug, string Role);

public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/token", IssueToken).AllowAnonymous().WithTags("Auth")
            .WithSummary("Exchange email and password for a bearer token (tokenType, accessToken, expiresIn, refreshToken).");

        app.MapPost("/api/auth/refresh", Refresh).AllowAnonymous().WithTags("Auth")
            .WithSummary("Exchange a refresh token for a new bearer token; refused once the account is locked, deleted or its password changed.");

        app.MapGet("/api/me", Me).RequireAuthorization().WithTags("Auth");

        // Cookie sign-in for the console: a plain form post, so it works without JavaScript.
        // Antiforgery-checked (the form carries the token): no other site can sign a visitor in as itself.
        app.MapPost("/account/login", CookieLogin).AllowAnonymous().WithTags("Auth").ExcludeFromDescription();
        app.MapPost("/account/logout", async ([FromForm] string? returnUrl, SignInManager<AppUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/account/login");
        }).ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<EmptyHttpResult, ValidationProblem, ProblemHttpResult>> IssueToken(
        TokenRequest request, UserManager<AppUser> users, SignInManager<AppUser> signIn)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Email)) errors["email"] = ["The email is required."];
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = ["The password is required."];
        if (errors.Count > 0) return Problems.Invalid(errors);

        var (result, detail) = await CheckPasswordAsync(request.Email!, request.Password!, users, signIn);
        if (result is null)
        {
            return TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed");
        }
        signIn.AuthenticationScheme = IdentityConstants.BearerScheme;
        await signIn.SignInAsync(result, isPersistent: false);
        return TypedResults.Empty; // the bearer handler has written the token response
    }

    private static async Task<Results<SignInHttpResult, ValidationProblem, ProblemHttpResult>> Refresh(
        RefreshRequest request, IOptionsMonitor<BearerTokenOptions> bearer, TimeProvider time,
        SignInManager<AppUser> signIn, UserManager<AppUser> users)
    {
        if (string.IsNullOrWhiteSpace(request.RefreshToken)) return Problems.Invalid("refreshToken", "refreshToken is required.");
        var ticket = bearer.Get(IdentityConstants.BearerScheme).RefreshTokenProtector.Unprotect(request.RefreshToken);
        // The security stamp changes with the password, so a refresh token dies with the old password.
        if (ticket?.Properties.ExpiresUtc is not { } expires || time.GetUtcNow() >= expires
            || await signIn.ValidateSecurityStampAsync(ticket.Principal) is not { } user
            || await users.IsLockedOutAsync(user))
        {
            return TypedResults.Problem("The refresh token is expired or no longer valid; sign in again with POST /api/auth/token.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in expired",
                extensions: new Dictionary<string, object?> { ["field"] = "refreshToken" });
        }
        return TypedResults.SignIn(await signIn.CreateUserPrincipalAsync(user), authenticationScheme: IdentityConstants.BearerScheme);
    }

    private static async Task<IResult> CookieLogin(
        [FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl,
        UserManager<AppUser> users, SignInManager<AppUser> signIn)
    {
        var (user, detail) = await CheckPasswordAsync(email ?? "", password ?? "", users, signIn);
        if (user is null)
        {
            var again = "/account/login?error=" + Uri.EscapeDataString(detail);
            return Results.LocalRedirect(IsLocal(returnUrl) ? again + "&returnUrl=" + Uri.EscapeDataString(returnUrl!) : again);
        }
        await signIn.SignInAsync(user, isPersistent: true);
        var target = IsLocal(returnUrl) ? returnUrl! : "/console";
        return Results.LocalRedirect(target);
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    private static async Task<(AppUser? User, string Detail)> CheckPasswordAsync(
        string email, string password, UserManager<AppUser> users, SignInManager<AppUser> signIn)
    {
        const string wrong = "The email or password is wrong.";
        var user = await users.FindByEmailAsync(email);
        if (user is null) return (null, wrong);
        var check = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);
        if (check.IsLockedOut)
        {
            return (null, $"This account is locked after too many failed attempts; try again after {user.LockoutEnd:u} or ask an admin to reset the password.");
        }
        return check.Succeeded ? (user, "") : (null, wrong);
    }

    private static async Task<Ok<MeResponse>> Me(CurrentPrincipal principal, AppDbContext db, CancellationToken ct)
    {
        var userId = principal.UserId!.Value;
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.Email, u.DisplayName, u.IsPlatformAdmin }).SingleAsync(ct);
        var orgs = await db.OrganizationMembers.AsNoTracking()
            .Where(m => m.UserId == userId)
            .OrderBy(m => m.Organization!.Name)
            .Select(m => new MyOrganization(m.OrganizationId, m.Organization!.Name, m.Organization.Slug, m.Role))
            .ToListAsync(ct);
        return TypedResults.Ok(new MeResponse(userId, user.Email, user.DisplayName, user.IsPlatformAdmin, orgs));
    }
}
