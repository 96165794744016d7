using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Webhooks;

public sealed record ReceivedWebhook(string Path, string Event, string Delivery, string Signature, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A webhook receiver on Kestrel at 127.0.0.1:0. It records every request; each path answers the status
/// codes scripted for it in order, then 200 (or always <see cref="AlwaysFail"/>'s code).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _alwaysFail = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Root { get; private set; } = null!;

    /// <summary>A fresh path on this receiver, so a test sees only its own requests.</summary>
    public string NewUrl(out string path)
    {
        path = "/hooks/" + Guid.NewGuid().ToString("N");
        return new Uri(Root, path).ToString();
    }

    public void Script(string path, params int[] statusCodes) => _scripts[path] = new ConcurrentQueue<int>(statusCodes);

    public void AlwaysFail(string path, int statusCode) => _alwaysFail[path] = statusCode;

    public List<ReceivedWebhook> At(string path) => [.. _received.Where(r => r.Path == path)];

    /// <summary>Waits (bounded) until <paramref name="path"/> received a request matching <paramref name="match"/>.</summary>
    public async Task<ReceivedWebhook> WaitForAsync(string path, Func<ReceivedWebhook, bool> match, CancellationToken ct)
    {
        for (var i = 0; i < 600; i++)
        {
            if (At(path).FirstOrDefault(match) is { } hit) return hit;
            await Task.Delay(50, ct);
        }
        throw new TimeoutException($"{path} received no matching webhook; it received: {string.Join(" | ", At(path).Select(r => r.Body))}");
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Root = new Uri(address.TrimEnd('/') + "/");
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        _received.Enqueue(new ReceivedWebhook(path, context.Request.Headers["X-Switchboard-Event"].ToString(),
            context.Request.Headers["X-Switchboard-Delivery"].ToString(), context.Request.Headers["X-Switchboard-Signature"].ToString(), body));
        if (_alwaysFail.TryGetValue(path, out var failing))
        {
            context.Response.StatusCode = failing;
            await context.Response.WriteAsync("receiver is down");
            return;
        }
        context.Response.StatusCode = _scripts.TryGetValue(path, out var script) && script.TryDequeue(out var code) ? code : 200;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
