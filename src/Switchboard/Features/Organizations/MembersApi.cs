using Microsoft.AspNetCore.Http.HttpResults;
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

    private static async Task<Ok<List<MemberResponse>>> List(HttpContext http, MemberService members, CancellationToken ct) =>
        TypedResults.Ok(await members.ListAsync(http.OrgId(), ct));

    private static async Task<Results<Created<AddMemberResponse>, ValidationProblem, ProblemHttpResult>> Add(
        HttpContext http, AddMemberRequest request, MemberService members, CancellationToken ct)
    {
        var orgId = http.OrgId();
        var (added, problem) = await members.AddAsync(orgId, request, ct);
        return problem switch
        {
            null => TypedResults.Created($"/api/orgs/{orgId}/members/{added!.Member.UserId}", added),
            MemberProblem.Invalid invalid => Problems.Invalid(invalid.Errors),
            _ => ToProblem(problem),
        };
    }

    private static async Task<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>> Update(
        HttpContext http, Guid userId, UpdateMemberRequest request, MemberService members, CancellationToken ct)
    {
        var (member, problem) = await members.UpdateAsync(http.OrgId(), userId, request, ct);
        return problem switch
        {
            null => TypedResults.Ok(member!),
            MemberProblem.Invalid invalid => Problems.Invalid(invalid.Errors),
            _ => ToProblem(problem),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(HttpContext http, Guid userId, MemberService members, CancellationToken ct)
    {
        var problem = await members.RemoveAsync(http.OrgId(), userId, ct);
        return problem is null ? TypedResults.NoContent() : ToProblem(problem);
    }

    private static ProblemHttpResult ToProblem(MemberProblem problem) => problem switch
    {
        MemberProblem.NotFound notFound => Problems.NotFound(notFound.Field, notFound.Detail),
        MemberProblem.Conflict conflict => Problems.Conflict(conflict.Field, conflict.Detail),
        _ => throw new InvalidOperationException($"No problem detail for {problem}."),
    };
}
