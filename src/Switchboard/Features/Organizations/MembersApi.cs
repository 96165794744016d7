using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Accounts;
using Switchboard.Tenancy;

namespace Switchboard.Features.Organizations;

public sealed record MemberResponse(Guid UserId, string? Email, string DisplayName, string Role, string Availability, int MaxConcurrent, List<string> Skills);

/// <summary>Invite or add a person. A new account gets <c>password</c>, or a generated one returned once.</summary>
public sealed record AddMemberRequest(string? Email, string? Role, string? DisplayName, string? Password, int? MaxConcurrent, List<string>? Skills);

public sealed record AddMemberResponse(MemberResponse Member, bool AccountCreated, string? TemporaryPassword);

public sealed record UpdateMemberRequest(string? Role, int? MaxConcurrent, List<string>? Skills, string? Availability);

public static class MembersApi
{
    public static IEndpointRouteBuilder MapMembersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/members").WithTags("Members").RequireOrgRole(OrgRoles.Admin);
        group.MapGet("/", List);
        group.MapPost("/", Add);
        group.MapPatch("/{userId:guid}", Update);
        group.MapDelete("/{userId:guid}", Remove);
        return app;
    }

    private static async Task<Ok<List<MemberResponse>>> List(HttpContext http, AppDbContext db, CancellationToken ct)
    {
        var orgId = http.OrgId();
        var members = await db.OrganizationMembers.AsNoTracking()
            .Where(m => m.OrganizationId == orgId)
            .OrderBy(m => m.User!.Email)
            .Select(m => new MemberResponse(m.UserId, m.User!.Email, m.User.DisplayName, m.Role, m.Availability, m.MaxConcurrent, m.Skills))
            .ToListAsync(ct);
        return TypedResults.Ok(members);
    }

    private static async Task<Results<Created<AddMemberResponse>, ValidationProblem, ProblemHttpResult>> Add(
        HttpContext http, AddMemberRequest request, AppDbContext db, UserManager<AppUser> users, CancellationToken ct)
    {
        var orgId = http.OrgId();
        var errors = new Dictionary<string, string[]>();
        var email = request.Email?.Trim();
        if (string.IsNullOrEmpty(email) || !email.Contains('@', StringComparison.Ordinal)) errors["email"] = ["A valid email address is required."];
        var role = request.Role ?? OrgRoles.Member;
        if (!OrgRoles.All.Contains(role)) errors["role"] = [$"The role must be one of {string.Join(", ", OrgRoles.All)}."];
        if (request.MaxConcurrent is < 0 or > 100) errors["maxConcurrent"] = ["maxConcurrent must be between 0 and 100."];
        if (errors.Count > 0) return Problems.Invalid(errors);

        var user = await users.FindByEmailAsync(email!);
        string? temporaryPassword = null;
        var created = false;
        if (user is null)
        {
            temporaryPassword = request.Password is null ? UserAccounts.NewPassword() : null;
            var (account, problems) = await UserAccounts.CreateAsync(users, email!, request.DisplayName ?? email!, request.Password ?? temporaryPassword!);
            if (account is null) return Problems.Invalid(problems!);
            user = account;
            created = true;
        }
        else if (await db.OrganizationMembers.AnyAsync(m => m.OrganizationId == orgId && m.UserId == user.Id, ct))
        {
            return Problems.Conflict("email", $"{email} is already a member; change their role with PATCH /api/orgs/{orgId}/members/{user.Id}.");
        }

        var member = new OrganizationMember
        {
            OrganizationId = orgId,
            UserId = user.Id,
            Role = role,
            MaxConcurrent = request.MaxConcurrent ?? 3,
            Skills = request.Skills ?? [],
        };
        db.OrganizationMembers.Add(member);
        await db.SaveChangesAsync(ct);
        var response = new MemberResponse(user.Id, user.Email, user.DisplayName, member.Role, member.Availability, member.MaxConcurrent, member.Skills);
        return TypedResults.Created($"/api/orgs/{orgId}/members/{user.Id}", new AddMemberResponse(response, created, temporaryPassword));
    }

    private static async Task<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>> Update(
        HttpContext http, Guid userId, UpdateMemberRequest request, AppDbContext db, CancellationToken ct)
    {
        var orgId = http.OrgId();
        var errors = new Dictionary<string, string[]>();
        if (request.Role is not null && !OrgRoles.All.Contains(request.Role)) errors["role"] = [$"The role must be one of {string.Join(", ", OrgRoles.All)}."];
        if (request.Availability is not null && !AgentAvailability.All.Contains(request.Availability)) errors["availability"] = [$"availability must be one of {string.Join(", ", AgentAvailability.All)}."];
        if (request.MaxConcurrent is < 0 or > 100) errors["maxConcurrent"] = ["maxConcurrent must be between 0 and 100."];
        if (errors.Count > 0) return Problems.Invalid(errors);

        var member = await db.OrganizationMembers.Include(m => m.User).SingleOrDefaultAsync(m => m.OrganizationId == orgId && m.UserId == userId, ct);
        if (member is null) return Problems.NotFound("userId", $"User {userId} is not a member of this organization.");
        if (request.Role is not null && request.Role != OrgRoles.Admin && member.Role == OrgRoles.Admin && await IsLastAdminAsync(db, orgId, ct))
        {
            return Problems.Conflict("role", "This is the organization's last admin; make someone else admin first.");
        }
        member.Role = request.Role ?? member.Role;
        member.MaxConcurrent = request.MaxConcurrent ?? member.MaxConcurrent;
        member.Skills = request.Skills ?? member.Skills;
        member.Availability = request.Availability ?? member.Availability;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new MemberResponse(member.UserId, member.User!.Email, member.User.DisplayName, member.Role, member.Availability, member.MaxConcurrent, member.Skills));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(HttpContext http, Guid userId, AppDbContext db, CancellationToken ct)
    {
        var orgId = http.OrgId();
        var member = await db.OrganizationMembers.SingleOrDefaultAsync(m => m.OrganizationId == orgId && m.UserId == userId, ct);
        if (member is null) return Problems.NotFound("userId", $"User {userId} is not a member of this organization.");
        if (member.Role == OrgRoles.Admin && await IsLastAdminAsync(db, orgId, ct))
        {
            return Problems.Conflict("userId", "This is the organization's last admin; make someone else admin first.");
        }
        db.OrganizationMembers.Remove(member);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<bool> IsLastAdminAsync(AppDbContext db, Guid orgId, CancellationToken ct) =>
        await db.OrganizationMembers.CountAsync(m => m.OrganizationId == orgId && m.Role == OrgRoles.Admin, ct) <= 1;
}
