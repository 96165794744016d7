using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Escalation;

public sealed record EscalationRuleRequest(string? RuleName, List<string>? TriggerKeywords, JsonElement? TriggerConditions,
    JsonElement? AgentAssignmentLogic, int? PriorityLevel, bool? IsActive);

public sealed record EscalationRuleResponse(Guid Id, Guid OrganizationId, string RuleName, List<string> TriggerKeywords,
    JsonElement TriggerConditions, JsonElement AgentAssignmentLogic, int PriorityLevel, bool IsActive, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static EscalationRuleResponse From(EscalationRule r) => new(r.Id, r.OrganizationId, r.RuleName, r.TriggerKeywords ?? [],
        Parse(r.TriggerConditions), Parse(r.AgentAssignmentLogic), r.PriorityLevel ?? 1, r.IsActive ?? false, r.CreatedAt, r.UpdatedAt);

    private static JsonElement Parse(string? json) => JsonDocument.Parse(json ?? "{}").RootElement.Clone();
}

/// <summary>Escalation rules: only organization admins manage them (seed). The schema is public documentation.</summary>
public static class EscalationRulesApi
{
    public const string SchemaPath = "/api/escalation-rules/schema";

    public static IEndpointRouteBuilder MapEscalationRulesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(SchemaPath, Schema).WithTags("Escalation rules").AllowAnonymous();
        var group = app.MapGroup("/api/orgs/{orgId}/escalation-rules").WithTags("Escalation rules").RequireOrgRole(OrgRoles.Admin);
        group.MapGet("/", List);
        group.MapGet("/{ruleId:guid}", Get);
        group.MapPost("/", Create);
        group.MapPut("/{ruleId:guid}", Update);
        group.MapPatch("/{ruleId:guid}", Update);
        group.MapDelete("/{ruleId:guid}", Delete);
        return app;
    }

    private static IResult Schema() => Results.Text(EscalationRuleValidator.SchemaText, "application/schema+json");

    private static async Task<Ok<List<EscalationRuleResponse>>> List(HttpContext http, AppDbContext db, CancellationToken ct)
    {
        return TypedResults.Ok(await ListAsync(db, http.OrgId(), ct));
    }

    /// <summary>The organization's rules as the API lists them: priority 5 first, then oldest. The console page shows the same.</summary>
    public static async Task<List<EscalationRuleResponse>> ListAsync(AppDbContext db, Guid orgId, CancellationToken ct)
    {
        var rules = await db.EscalationRules.AsNoTracking().Where(r => r.OrganizationId == orgId)
            .OrderByDescending(r => r.PriorityLevel).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id).ToListAsync(ct);
        return [.. rules.Select(EscalationRuleResponse.From)];
    }

    private static async Task<Results<Ok<EscalationRuleResponse>, ProblemHttpResult>> Get(HttpContext http, Guid ruleId, AppDbContext db, CancellationToken ct)
    {
        var orgId = http.OrgId();
        return await db.EscalationRules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == ruleId && r.OrganizationId == orgId, ct) is { } rule
            ? TypedResults.Ok(EscalationRuleResponse.From(rule))
            : RuleNotFound(ruleId);
    }

    private static async Task<Results<Created<EscalationRuleResponse>, ValidationProblem>> Create(
        HttpContext http, EscalationRuleRequest request, AppDbContext db, CancellationToken ct)
    {
        var (rule, errors) = await SaveAsync(db, http.OrgId(), null, request, ct);
        if (errors.Count > 0) return Problems.Invalid(errors);
        return TypedResults.Created($"/api/orgs/{rule!.OrganizationId}/escalation-rules/{rule.Id}", EscalationRuleResponse.From(rule));
    }

    /// <summary>PUT and PATCH: keys left out (or null) keep their value; the rule as it would be stored is validated whole.</summary>
    private static async Task<Results<Ok<EscalationRuleResponse>, ValidationProblem, ProblemHttpResult>> Update(
        HttpContext http, Guid ruleId, EscalationRuleRequest request, AppDbContext db, CancellationToken ct)
    {
        var (rule, errors) = await SaveAsync(db, http.OrgId(), ruleId, request, ct);
        if (errors.Count > 0) return Problems.Invalid(errors);
        return rule is null ? RuleNotFound(ruleId) : TypedResults.Ok(EscalationRuleResponse.From(rule));
    }

    /// <summary>
    /// Creates (<paramref name="ruleId"/> null) or edits a rule of the organization, or writes nothing and returns the
    /// errors by key. Null rule and no errors: no such rule. The console page calls it too, so both say the same.
    /// </summary>
    public static async Task<(EscalationRule? Rule, Dictionary<string, string[]> Errors)> SaveAsync(
        AppDbContext db, Guid orgId, Guid? ruleId, EscalationRuleRequest request, CancellationToken ct)
    {
        var errors = Shape(request);
        if (errors.Count > 0) return (null, errors);
        EscalationRule? rule;
        if (ruleId is null)
        {
            rule = new EscalationRule { OrganizationId = orgId, RuleName = "" };
        }
        else
        {
            rule = await db.EscalationRules.SingleOrDefaultAsync(r => r.Id == ruleId && r.OrganizationId == orgId, ct);
            if (rule is null) return (null, errors);
        }
        Apply(rule, request);
        errors = await EscalationRuleValidator.ValidateAsync(EscalationRuleDraft.From(rule), orgId, db, ct);
        if (errors.Count > 0)
        {
            if (ruleId is not null) db.Entry(rule).State = EntityState.Detached; // nothing of a refused edit may be saved later
            return (null, errors);
        }
        if (ruleId is null) db.EscalationRules.Add(rule);
        else rule.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(ct);
        return (rule, errors);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(HttpContext http, Guid ruleId, AppDbContext db, CancellationToken ct)
    {
        return await DeleteAsync(db, http.OrgId(), ruleId, ct)
            ? TypedResults.NoContent()
            : RuleNotFound(ruleId);
    }

    /// <summary>Deletes a rule of the organization; false when it has no such rule. The console page calls it too.</summary>
    public static async Task<bool> DeleteAsync(AppDbContext db, Guid orgId, Guid ruleId, CancellationToken ct) =>
        await db.EscalationRules.Where(r => r.Id == ruleId && r.OrganizationId == orgId).ExecuteDeleteAsync(ct) > 0;

    private static void Apply(EscalationRule rule, EscalationRuleRequest request)
    {
        if (request.RuleName is not null) rule.RuleName = request.RuleName.Trim();
        if (request.TriggerKeywords is not null) rule.TriggerKeywords = EscalationRuleValidator.NormalizeKeywords(request.TriggerKeywords);
        if (request.TriggerConditions is { ValueKind: JsonValueKind.Object } conditions) rule.TriggerConditions = conditions.GetRawText();
        if (request.AgentAssignmentLogic is { ValueKind: JsonValueKind.Object } logic) rule.AgentAssignmentLogic = logic.GetRawText();
        if (request.PriorityLevel is not null) rule.PriorityLevel = request.PriorityLevel;
        if (request.IsActive is not null) rule.IsActive = request.IsActive;
    }

    /// <summary>What the typed request cannot carry into the stored rule: JSON that is not an object.</summary>
    private static Dictionary<string, string[]> Shape(EscalationRuleRequest r)
    {
        var errors = new Dictionary<string, string[]>();
        if (r.TriggerConditions is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
            errors["triggerConditions"] = [$"triggerConditions must be a JSON object, e.g. {{\"confidence_below\": 0.4}}; got {r.TriggerConditions.Value.ValueKind.ToString().ToLowerInvariant()}. Schema: {SchemaPath}"];
        if (r.AgentAssignmentLogic is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
            errors["agentAssignmentLogic"] = [$"agentAssignmentLogic must be a JSON object, e.g. {{\"strategy\": \"least_busy\"}}; got {r.AgentAssignmentLogic.Value.ValueKind.ToString().ToLowerInvariant()}. Schema: {SchemaPath}"];
        if (r.TriggerKeywords?.Any(k => k is null) == true) errors["triggerKeywords"] = ["triggerKeywords must be a list of strings."];
        return errors;
    }

    private static ProblemHttpResult RuleNotFound(Guid id) => Problems.NotFound("ruleId", $"Escalation rule {id} does not exist in this organization.");
}
