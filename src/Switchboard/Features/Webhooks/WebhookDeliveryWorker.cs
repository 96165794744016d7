using System.Diagnostics;
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
            async (id, token) => await SendAsync(id, token));
        return claimed.Count;
    }

    private async Task<List<Guid>> ClaimAsync(CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var now = DateTimeOffset.UtcNow;
        var due = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now && (d.LockedUntil == null || d.LockedUntil < now))
            .OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(BatchSize).ToListAsync(ct);
        var lockedUntil = now + options.Value.Timeout + ClaimMargin;
        var claimed = new List<Guid>(due.Count);
        foreach (var id in due)
        {
            // Only one node's update matches: the others see the row locked (or no longer pending) and skip it.
            var won = await db.WebhookDeliveries
                .Where(d => d.Id == id && d.Status == DeliveryStatus.Pending && (d.LockedUntil == null || d.LockedUntil < now))
                .ExecuteUpdateAsync(d => d.SetProperty(x => x.LockedUntil, lockedUntil), ct);
            if (won == 1) claimed.Add(id);
        }
        return claimed;
    }

    private async Task SendAsync(Guid deliveryId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var work = await db.WebhookDeliveries.AsNoTracking().Where(d => d.Id == deliveryId)
            .Join(db.WebhookEndpoints, d => d.EndpointId, w => w.Id, (d, w) => new { d.Id, d.EventType, d.Payload, d.Attempts, w.Url, w.Secret, w.IsActive })
            .SingleOrDefaultAsync(ct);
        if (work is null) return; // the endpoint was deleted, and its deliveries with it
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
