using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Accounts;

namespace Switchboard.Features.Organizations;

/// <summary>Why a member operation was refused; <see cref="MembersApi"/> turns it into a problem detail, the console shows it.</summary>
public abstract record MemberProblem(string Message)
{
    public sealed record Invalid(Dictionary<string, string[]> Errors) : MemberProblem(string.Join(" ", Errors.SelectMany(e => e.Value)));

    public sealed record NotFound(string Field, string Detail) : MemberProblem(Detail);

    public sealed record Conflict(string Field, string Detail) : MemberProblem(Detail);
}

/// <summary>A value, or the problem that refused the operation.</summary>
public readonly record struct MemberOutcome<T>(T? Value, MemberProblem? Problem)
{
    public static implicit operator MemberOutcome<T>(T value) => new(value, null);
    public static implicit operator MemberOutcome<T>(MemberProblem problem) => new(default, problem);
}

/// <summary>
/// The membership rules, shared by the REST API and the console: validation, account creation for
/// new people, and the organization never losing its last admin. Callers have already checked
/// that the actor is an admin of <c>orgId</c>.
/// </summary>
public sealed class MemberService(AppDbContext db, UserManager<AppUser> users, Switchboard.Features.Escalation.QueueSignal queue)
{
    public Task<List<MemberResponse>> ListAsync(Guid orgId, CancellationToken ct) =>
        db.OrganizationMembers.AsNoTracking()
            .Where(m => m.OrganizationId == orgId)
            .OrderBy(m => m.User!.Email)
            .Select(m => new MemberResponse(m.UserId, m.User!.Email, m.User.DisplayName, m.Role, m.Availability, m.MaxConcurrent, m.Skills))
            .ToListAsync(ct);

    public async Task<MemberOutcome<AddMemberResponse>> AddAsync(Guid orgId, AddMemberRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var email = request.Email?.Trim();
        if (string.IsNullOrEmpty(email) || !email.Contains('@', StringComparison.Ordinal)) errors["email"] = ["A valid email address is required."];
        var role = request.Role ?? OrgRoles.Member;
        if (!OrgRoles.All.Contains(role)) errors["role"] = [$"The role must be one of {string.Join(", ", OrgRoles.All)}."];
        if (request.MaxConcurrent is < 0 or > 100) errors["maxConcurrent"] = ["maxConcurrent must be between 0 and 100."];
        if (errors.Count > 0) return new MemberProblem.Invalid(errors);

        var user = await users.FindByEmailAsync(email!);
        string? temporaryPassword = null;
        var created = false;
        if (user is null)
        {
            temporaryPassword = request.Password is null ? UserAccounts.NewPassword() : null;
            var (account, problems) = await UserAccounts.CreateAsync(users, email!, request.DisplayName ?? email!, request.Password ?? temporaryPassword!);
            if (account is null) return new MemberProblem.Invalid(problems!);
            user = account;
            created = true;
        }
        else if (await db.OrganizationMembers.AnyAsync(m => m.OrganizationId == orgId && m.UserId == user.Id, ct))
        {
            return new MemberProblem.Conflict("email", $"{email} is already a member; change their role with PATCH /api/orgs/{orgId}/members/{user.Id}.");
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
        return new AddMemberResponse(response, created, temporaryPassword);
    }

    public async Task<MemberOutcome<MemberResponse>> UpdateAsync(Guid orgId, Guid userId, UpdateMemberRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Role is not null && !OrgRoles.All.Contains(request.Role)) errors["role"] = [$"The role must be one of {string.Join(", ", OrgRoles.All)}."];
        if (request.Availability is not null && !AgentAvailability.All.Contains(request.Availability)) errors["availability"] = [$"availability must be one of {string.Join(", ", AgentAvailability.All)}."];
        if (request.MaxConcurrent is < 0 or > 100) errors["maxConcurrent"] = ["maxConcurrent must be between 0 and 100."];
        if (errors.Count > 0) return new MemberProblem.Invalid(errors);

        var member = await db.OrganizationMembers.SingleOrDefaultAsync(m => m.OrganizationId == orgId && m.UserId == userId, ct);
        if (member is null) return new MemberProblem.NotFound("userId", $"User {userId} is not a member of this organization.");
        if (request.Role is not null && request.Role != OrgRoles.Admin && member.Role == OrgRoles.Admin && await IsLastAdminAsync(orgId, ct))
        {
            return new MemberProblem.Conflict("role", "This is the organization's last admin; make someone else admin first.");
        }
        member.Role = request.Role ?? member.Role;
        member.MaxConcurrent = request.MaxConcurrent ?? member.MaxConcurrent;
        member.Skills = request.Skills ?? member.Skills;
        member.Availability = request.Availability ?? member.Availability;
        await db.SaveChangesAsync(ct);
        queue.Poke(orgId); // more room or an agent online: the queue may move
        var person = await db.Users.Where(u => u.Id == userId).Select(u => new { u.Email, u.DisplayName }).SingleAsync(ct);
        return new MemberResponse(member.UserId, person.Email, person.DisplayName, member.Role, member.Availability, member.MaxConcurrent, member.Skills);
    }

    /// <summary>Removes the membership; the account stays (it may belong to other organizations).</summary>
    public async Task<MemberProblem?> RemoveAsync(Guid orgId, Guid userId, CancellationToken ct)
    {
        var member = await db.OrganizationMembers.SingleOrDefaultAsync(m => m.OrganizationId == orgId && m.UserId == userId, ct);
        if (member is null) return new MemberProblem.NotFound("userId", $"User {userId} is not a member of this organization.");
        if (member.Role == OrgRoles.Admin && await IsLastAdminAsync(orgId, ct))
        {
            return new MemberProblem.Conflict("userId", "This is the organization's last admin; make someone else admin first.");
        }
        db.OrganizationMembers.Remove(member);
        await db.SaveChangesAsync(ct);
        return null;
    }

    private async Task<bool> IsLastAdminAsync(Guid orgId, CancellationToken ct) =>
        await db.OrganizationMembers.CountAsync(m => m.OrganizationId == orgId && m.Role == OrgRoles.Admin, ct) <= 1;
}
