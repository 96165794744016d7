using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Switchboard.Net;

namespace Switchboard.Features.Webhooks;

public static class WebhooksSetup
{
    /// <summary>The outbox writer (event bus → webhook_deliveries) and the delivery worker, with their HTTP client.</summary>
    public static IServiceCollection AddSwitchboardWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section))
            .Validate(o => o.Timeout > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero && (o.RetryDelays ?? []).All(d => d >= TimeSpan.Zero),
                "Webhooks:Timeout and Webhooks:PollInterval must be positive and Webhooks:RetryDelays must not be negative.")
            .ValidateOnStart();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookOutbox>();
        services.AddHostedService<WebhookEventWriter>();
        services.AddHostedService<WebhookDeliveryWorker>();
        services.AddHttpClient(WebhookDeliveryWorker.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // A redirect could lead anywhere, including the server's own network: 3xx counts as a failed attempt.
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectCallback = (context, ct) => ConnectAsync(sp.GetRequiredService<IOptions<WebhookOptions>>().Value, context, ct),
            });
        return services;
    }

    /// <summary>
    /// Connects to the addresses the host resolves to now, refusing private ones: checking at connection time
    /// means a name that resolved to a public address when the admin saved it cannot be pointed inward later.
    /// </summary>
    private static async ValueTask<Stream> ConnectAsync(WebhookOptions options, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var (addresses, anyPrivate) = await PrivateAddresses.ResolveAndCheckAsync(host, ct);
        if (!options.AllowPrivateAddresses && anyPrivate)
        {
            // Recorded as the attempt's error (the innermost exception's message).
            throw new HttpRequestException($"{host} resolves to a private or local address; webhooks are not sent into this server's network (Webhooks:AllowPrivateAddresses).");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
