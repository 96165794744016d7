using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Features.Ai;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Knowledge;

/// <summary>Configuration section <c>Ai:Reembedding</c>: how a failed re-embedding run is retried.</summary>
public sealed class ReembeddingOptions
{
    public const string Section = "Ai:Reembedding";

    /// <summary>Wait before the first retry of a failed catch-up run; doubled after each failure.</summary>
    public double RetrySeconds { get; set; } = 30;

    /// <summary>The longest wait between retries.</summary>
    public double MaxRetrySeconds { get; set; } = 600;
}

public static class ReembeddingStates
{
    /// <summary>The start-up catch-up has not yet looked for passages of other models.</summary>
    public const string Checking = "checking";

    /// <summary>Every passage is embedded with the configured model; nothing else is stored.</summary>
    public const string Current = "current";

    /// <summary>The configured model is being written beside the previous one(s), which still serve answers.</summary>
    public const string Reembedding = "reembedding";

    /// <summary>The last run stopped (e.g. the new model's endpoint failed); it is retried at <c>nextRetryAt</c>.</summary>
    public const string Retrying = "retrying";
}

/// <summary>The node's re-embedding progress after a model change, as the indexer reports it.</summary>
public sealed class ReembeddingStatus
{
    private readonly Lock _lock = new();
    private Snapshot _current = new(ReembeddingStates.Checking, [], 0, 0, null, null, null, null);

    public sealed record Snapshot(string State, IReadOnlyList<string> PreviousModels, int PassagesDone, int PassagesTotal,
        DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, string? LastError, DateTimeOffset? NextRetryAt);

    public Snapshot Current
    {
        get { lock (_lock) return _current; }
    }

    public void Started(IReadOnlyList<string> previous)
    {
        lock (_lock) _current = new(ReembeddingStates.Reembedding, previous, 0, 0, _current.StartedAt ?? DateTimeOffset.UtcNow, null, _current.LastError, null);
    }

    /// <summary>Only the configured model is stored: there is nothing to re-embed.</summary>
    public void NothingToReembed()
    {
        lock (_lock)
        {
            if (_current.State == ReembeddingStates.Checking) _current = _current with { State = ReembeddingStates.Current };
        }
    }

    public void Progress(int done, int total)
    {
        lock (_lock)
        {
            if (_current.State is ReembeddingStates.Reembedding or ReembeddingStates.Retrying) _current = _current with { PassagesDone = done, PassagesTotal = total };
        }
    }

    public void Failed(string error)
    {
        lock (_lock) _current = _current with { State = ReembeddingStates.Retrying, LastError = error };
    }

    public void RetryAt(DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_current.State == ReembeddingStates.Retrying) _current = _current with { NextRetryAt = at };
        }
    }

    public void Completed()
    {
        lock (_lock) _current = _current with { State = ReembeddingStates.Current, PreviousModels = [], CompletedAt = DateTimeOffset.UtcNow, LastError = null, NextRetryAt = null };
    }
}

/// <param name="ConfiguredModel">What new passages are embedded with (Ai:Embeddings).</param>
/// <param name="ServingModel">What this organization's questions are compared with right now.</param>
/// <param name="Articles">The organization's and the global active articles that have passages.</param>
/// <param name="Covered">Of those, how many have passages of each stored model.</param>
public sealed record EmbeddingStatusResponse(string ConfiguredModel, string ServingModel, int Articles, Dictionary<string, int> Covered,
    string State, IReadOnlyList<string> PreviousModels, int PassagesDone, int PassagesTotal, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
    string? LastError, DateTimeOffset? NextRetryAt);

/// <summary>GET /api/orgs/{orgId}/knowledge/embeddings: the organization's admins see which model answers and how far re-embedding is.</summary>
public static class EmbeddingStatusApi
{
    public static IEndpointRouteBuilder MapEmbeddingStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/orgs/{orgId}/knowledge").WithTags("Knowledge").RequireOrgRole(OrgRoles.Admin)
            .MapGet("/embeddings", (HttpContext http, VectorIndex index, EmbeddingModels models, ReembeddingStatus status, CancellationToken ct) =>
                GetAsync(http.OrgId(), index, models, status, ct));
        return app;
    }

    private static async Task<Ok<EmbeddingStatusResponse>> GetAsync(Guid orgId, VectorIndex index, EmbeddingModels models, ReembeddingStatus status, CancellationToken ct)
    {
        var serving = await index.GetServingAsync(orgId, ct);
        var s = status.Current;
        return TypedResults.Ok(new EmbeddingStatusResponse(models.Configured, serving.Model, serving.Coverage.Articles,
            serving.Coverage.ByModel.ToDictionary(), s.State, s.PreviousModels, s.PassagesDone, s.PassagesTotal, s.StartedAt, s.CompletedAt,
            s.LastError, s.NextRetryAt));
    }
}
