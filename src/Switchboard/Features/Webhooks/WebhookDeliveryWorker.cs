using System.Diagnostics;
using System.Linq.Expressions;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;

namespace Switchboard.Features.Webhooks;

/// <summary>
/// Sends due deliveries. The schedule lives in the database (next_attempt_at), so retries survive restarts;
/// a delivery is claimed with a conditional update of locked_until, so several nodes never send the same attempt twice.
/// </summary>
public sealed class WebhookDeliveryWorker(SystemDb systemDb, IHttpClientFactory clients, WebhookSignal signal,
    IOptions<WebhookOptions> options, ILogger<WebhookDeliveryWorker> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    private const int BatchSize = 20;
    private const int Parallelism = 4;
    private const int MaxErrorLength = 1000;

    /// <summary>A claim outlives the request it covers; a crashed node's claims expire and another node retries.</summary>
    private static readonly TimeSpan ClaimMargin = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "The webhook delivery worker failed; it tries again shortly");
            }
            if (claimed < BatchSize)
            {
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
        }
    }

    /// <summary>Claims and sends one batch of due deliveries; returns how many it claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var claimed = await ClaimAsync(ct);
        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (work, token) => await SendAsync(work, token));
        return claimed.Count;
    }

    /// <summary>A claimed delivery with what sending it needs (its endpoint's address, secret and state).</summary>
    private sealed record Work(Guid Id, string EventType, string Payload, int Attempts, string Url, string Secret, bool IsActive);

    /// <summary>Pending, its next attempt due, and not claimed by anyone (or the claim expired).</summary>
    private static Expression<Func<WebhookDelivery, bool>> Due(DateTimeOffset now) =>
        d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now && (d.LockedUntil == null || d.LockedUntil < now);

    private async Task<List<Work>> ClaimAsync(CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var now = DateTimeOffset.UtcNow;
        var due = await db.WebhookDeliveries.AsNoTracking().Where(Due(now))
            .Join(db.WebhookEndpoints, d => d.EndpointId, w => w.Id,
                (d, w) => new { d.Id, d.NextAttemptAt, d.EventType, d.Payload, d.Attempts, w.Url, w.Secret, w.IsActive })
            .OrderBy(x => x.NextAttemptAt).Take(BatchSize)
            .Select(x => new Work(x.Id, x.EventType, x.Payload, x.Attempts, x.Url, x.Secret, x.IsActive)).ToListAsync(ct);
        var lockedUntil = now + options.Value.Timeout + ClaimMargin;
        var claimed = new List<Work>(due.Count);
        foreach (var work in due)
        {
            // Only one node's update matches: the others see the row locked, rescheduled or no longer pending and skip it.
            // The same attempt count as read above: an attempt another node made in between is not counted again.
            var won = await db.WebhookDeliveries.Where(Due(now)).Where(d => d.Id == work.Id && d.Attempts == work.Attempts)
                .ExecuteUpdateAsync(d => d.SetProperty(x => x.LockedUntil, lockedUntil), ct);
            if (won == 1) claimed.Add(work);
        }
        return claimed;
    }

    private async Task SendAsync(Work work, CancellationToken ct)
    {
        var deliveryId = work.Id;
        var attempts = work.Attempts + 1;
        var o = options.Value;
        int? statusCode = null;
        string? error;
        var watch = Stopwatch.StartNew();
        if (!work.IsActive)
        {
            error = "The endpoint is disabled; enable it and redeliver.";
        }
        else
        {
            (statusCode, error) = await PostAsync(work.Id, work.EventType, work.Payload, work.Url, work.Secret, o.Timeout, ct);
        }
        watch.Stop();

        await using var db = systemDb.CreateContext();
        var now = DateTimeOffset.UtcNow;
        var succeeded = error is null;
        var retry = !succeeded && work.IsActive && attempts < o.MaxAttempts;
        var status = succeeded ? DeliveryStatus.Succeeded : retry ? DeliveryStatus.Pending : DeliveryStatus.Failed;
        DateTimeOffset? next = retry ? now + Jitter(o.Delays[attempts - 1]) : null;
        DateTimeOffset? deliveredAt = succeeded ? now : null;
        // Not the request's token: a result that came back is recorded even while the host stops.
        await db.WebhookDeliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(d => d
            .SetProperty(x => x.Attempts, attempts)
            .SetProperty(x => x.Status, status)
            .SetProperty(x => x.NextAttemptAt, next)
            .SetProperty(x => x.LockedUntil, (DateTimeOffset?)null)
            .SetProperty(x => x.LastStatusCode, statusCode)
            .SetProperty(x => x.LastError, error)
            .SetProperty(x => x.LastDurationMs, watch.ElapsedMilliseconds)
            .SetProperty(x => x.DeliveredAt, deliveredAt), CancellationToken.None);
        if (!succeeded)
        {
            logger.LogInformation("Webhook delivery {Delivery} attempt {Attempt} failed ({Error}); {Next}", deliveryId, attempts, error,
                retry ? $"next attempt at {next:O}" : "no attempts left");
        }
    }

    private async Task<(int? StatusCode, string? Error)> PostAsync(Guid deliveryId, string eventType, string payload, string url, string secret,
        TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(payload, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.Add("X-Switchboard-Event", eventType);
            request.Headers.Add("X-Switchboard-Delivery", deliveryId.ToString());
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), payload));
            request.Headers.UserAgent.ParseAdd("Switchboard-Webhooks/1.0");
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode) return (code, null);
            var body = await ReadSnippetAsync(response, cts.Token);
            return (code, Truncate($"The receiver answered {code} {response.ReasonPhrase}{(body.Length > 0 ? ": " + body : ".")}"));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"No answer within {timeout.TotalSeconds:0.###} s (Webhooks:Timeout).");
        }
        catch (HttpRequestException e)
        {
            return (null, Truncate(Innermost(e).Message));
        }
    }

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            return body.Length > 300 ? body[..300] + "…" : body;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return "";
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    private static string Truncate(string text) => text.Length > MaxErrorLength ? text[..MaxErrorLength] : text;

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + 0.4 * Random.Shared.NextDouble());
}
