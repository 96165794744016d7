using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Knowledge;

public sealed record AnswerTestRequest(string? Question, Guid? ExpectedArticleId, string? Expect);

public sealed record AnswerTestResponse(Guid Id, Guid OrganizationId, string Question, Guid? ExpectedArticleId, string? ExpectedArticleTitle, string Expect, DateTimeOffset CreatedAt);

public sealed record AnswerTestMetrics(int Questions, double? AnswerAccuracy, double? RecallAt5, double? Mrr, double? NoAnswerPrecision,
    double? NoAnswerRecall, double? OverallAccuracy, long? LatencyP50Ms, long? LatencyP95Ms);

/// <summary>A run; <see cref="Results"/> is only filled when one run is read, not in the history list.</summary>
public sealed record AnswerTestRunResponse(Guid Id, Guid OrganizationId, string Trigger, string Status, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, AnswerTestMetrics Metrics, List<AnswerTestRegression> Regressions,
    List<AnswerTestResult>? Results, string? Error)
{
    public static AnswerTestRunResponse From(KnowledgeAnswerTestRun r, bool withResults) => new(r.Id, r.OrganizationId, r.Trigger, r.Status,
        r.CreatedAt, r.StartedAt, r.FinishedAt,
        new AnswerTestMetrics(r.Questions, r.AnswerAccuracy, r.RecallAt5, r.Mrr, r.NoAnswerPrecision, r.NoAnswerRecall, r.OverallAccuracy, r.LatencyP50Ms, r.LatencyP95Ms),
        JsonSerializer.Deserialize<List<AnswerTestRegression>>(r.Regressions, AnswerTestRunner.Json) ?? [],
        withResults ? JsonSerializer.Deserialize<List<AnswerTestResult>>(r.Results, AnswerTestRunner.Json) : null,
        r.Error);
}

/// <summary>
/// Answer tests under /api/orgs/{orgId}/knowledge/answer-tests: an organization's test questions and
/// their runs. Admins only, to read and to write (docs/knowledge.md).
/// </summary>
public static class AnswerTestsApi
{
    public const int MaxQuestionLength = 2000;
    public const int MaxTests = 1000;

    public static IEndpointRouteBuilder MapAnswerTestsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/knowledge/answer-tests").WithTags("Answer tests").RequireOrgRole(OrgRoles.Admin);
        group.MapGet("/", async (HttpContext http, AppDbContext db, CancellationToken ct) => TypedResults.Ok(await ListAsync(db, http.OrgId(), ct)));
        group.MapPost("/", (HttpContext http, AnswerTestRequest request, AppDbContext db, CancellationToken ct) => Create(db, http.OrgId(), request, ct));
        group.MapDelete("/{testId:guid}", (HttpContext http, Guid testId, AppDbContext db, CancellationToken ct) => Delete(db, http.OrgId(), testId, ct));

        group.MapPost("/runs", (HttpContext http, AnswerTestScheduler scheduler, CancellationToken ct) => StartRun(scheduler, http.OrgId(), ct));
        group.MapGet("/runs", async (HttpContext http, AppDbContext db, int? limit, CancellationToken ct) =>
            TypedResults.Ok(await RunsAsync(db, http.OrgId(), Math.Clamp(limit ?? 50, 1, 200), ct)));
        group.MapGet("/runs/latest", (HttpContext http, AppDbContext db, CancellationToken ct) => Latest(db, http.OrgId(), ct));
        group.MapGet("/runs/{runId:guid}", (HttpContext http, Guid runId, AppDbContext db, CancellationToken ct) => GetRun(db, http.OrgId(), runId, ct));
        return app;
    }

    public static async Task<List<AnswerTestResponse>> ListAsync(AppDbContext db, Guid orgId, CancellationToken ct)
    {
        var tests = await db.AnswerTests.AsNoTracking().Where(t => t.OrganizationId == orgId).OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).ToListAsync(ct);
        var ids = tests.Where(t => t.ExpectedArticleId != null).Select(t => t.ExpectedArticleId!.Value).Distinct().ToList();
        var titles = await db.Knowledge.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Title, ct);
        return [.. tests.Select(t => new AnswerTestResponse(t.Id, t.OrganizationId, t.Question, t.ExpectedArticleId,
            t.ExpectedArticleId is { } a ? titles.GetValueOrDefault(a) : null, t.Expect, t.CreatedAt))];
    }

    /// <summary>Validates and stores a test question; the errors name the field. Shared with the console.</summary>
    public static async Task<(AnswerTestResponse? Test, Dictionary<string, string[]>? Errors)> CreateAsync(AppDbContext db, Guid orgId, AnswerTestRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var expect = string.IsNullOrWhiteSpace(request.Expect) ? (request.ExpectedArticleId is null ? AnswerExpectations.NoAnswer : AnswerExpectations.Answer) : request.Expect.Trim();
        if (string.IsNullOrWhiteSpace(request.Question)) errors["question"] = ["The question is required."];
        else if (request.Question.Length > MaxQuestionLength) errors["question"] = [$"The question is longer than {MaxQuestionLength} characters."];
        if (expect is not (AnswerExpectations.Answer or AnswerExpectations.NoAnswer)) errors["expect"] = ["Expect must be 'answer' or 'no_answer'."];
        else if (expect == AnswerExpectations.Answer && request.ExpectedArticleId is null) errors["expectedArticleId"] = ["A question that expects an answer names the article that should answer it."];
        else if (expect == AnswerExpectations.NoAnswer && request.ExpectedArticleId is not null) errors["expectedArticleId"] = ["A question that expects no answer names no article."];
        string? title = null;
        if (request.ExpectedArticleId is { } articleId && !errors.ContainsKey("expectedArticleId"))
        {
            // Only this organization's articles: another organization's article "does not exist" here.
            title = await db.Knowledge.AsNoTracking().Where(a => a.Id == articleId && a.OrganizationId == orgId).Select(a => a.Title).SingleOrDefaultAsync(ct);
            if (title is null) errors["expectedArticleId"] = [$"Article {articleId} is not an article of this organization."];
        }
        if (errors.Count == 0 && await db.AnswerTests.CountAsync(t => t.OrganizationId == orgId, ct) >= MaxTests)
        {
            errors["question"] = [$"An organization keeps at most {MaxTests} test questions; remove some first."];
        }
        if (errors.Count > 0) return (null, errors);

        var test = new KnowledgeAnswerTest { OrganizationId = orgId, Question = request.Question!.Trim(), ExpectedArticleId = request.ExpectedArticleId, Expect = expect };
        db.AnswerTests.Add(test);
        await db.SaveChangesAsync(ct);
        return (new AnswerTestResponse(test.Id, orgId, test.Question, test.ExpectedArticleId, title, test.Expect, test.CreatedAt), null);
    }

    public static async Task<bool> DeleteAsync(AppDbContext db, Guid orgId, Guid testId, CancellationToken ct) =>
        await db.AnswerTests.Where(t => t.Id == testId && t.OrganizationId == orgId).ExecuteDeleteAsync(ct) > 0;

    public static async Task<List<AnswerTestRunResponse>> RunsAsync(AppDbContext db, Guid orgId, int limit, CancellationToken ct) =>
        [.. (await db.AnswerTestRuns.AsNoTracking().Where(r => r.OrganizationId == orgId).OrderByDescending(r => r.CreatedAt).Take(limit).ToListAsync(ct))
            .Select(r => AnswerTestRunResponse.From(r, withResults: false))];

    public static async Task<AnswerTestRunResponse?> LatestAsync(AppDbContext db, Guid orgId, CancellationToken ct) =>
        await db.AnswerTestRuns.AsNoTracking().Where(r => r.OrganizationId == orgId).OrderByDescending(r => r.CreatedAt).FirstOrDefaultAsync(ct) is { } run
            ? AnswerTestRunResponse.From(run, withResults: true)
            : null;

    private static async Task<Results<Created<AnswerTestResponse>, ValidationProblem>> Create(AppDbContext db, Guid orgId, AnswerTestRequest request, CancellationToken ct)
    {
        var (test, errors) = await CreateAsync(db, orgId, request, ct);
        return test is null ? Problems.Invalid(errors!) : TypedResults.Created($"/api/orgs/{orgId}/knowledge/answer-tests/{test.Id}", test);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(AppDbContext db, Guid orgId, Guid testId, CancellationToken ct) =>
        await DeleteAsync(db, orgId, testId, ct) ? TypedResults.NoContent() : Problems.NotFound("testId", $"Test question {testId} does not exist here.");

    // Always in the background (202 + Location): a run embeds and answers every question, seconds for a few hundred.
    private static async Task<Results<Accepted<AnswerTestRunResponse>, ValidationProblem>> StartRun(AnswerTestScheduler scheduler, Guid orgId, CancellationToken ct) =>
        await scheduler.QueueAsync(orgId, AnswerTestTriggers.Manual, ct) is { } run
            ? TypedResults.Accepted($"/api/orgs/{orgId}/knowledge/answer-tests/runs/{run.Id}", AnswerTestRunResponse.From(run, withResults: false))
            : Problems.Invalid("answerTests", "This organization has no test questions yet; add some before running them.");

    private static async Task<Results<Ok<AnswerTestRunResponse>, ProblemHttpResult>> Latest(AppDbContext db, Guid orgId, CancellationToken ct) =>
        await LatestAsync(db, orgId, ct) is { } run ? TypedResults.Ok(run) : Problems.NotFound("runId", "The tests of this organization have not run yet.");

    private static async Task<Results<Ok<AnswerTestRunResponse>, ProblemHttpResult>> GetRun(AppDbContext db, Guid orgId, Guid runId, CancellationToken ct) =>
        await db.AnswerTestRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId && r.OrganizationId == orgId, ct) is { } run
            ? TypedResults.Ok(AnswerTestRunResponse.From(run, withResults: true))
            : Problems.NotFound("runId", $"Run {runId} does not exist here.");
}
