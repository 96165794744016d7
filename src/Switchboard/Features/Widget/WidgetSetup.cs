using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.Features.Conversations;

namespace Switchboard.Features.Widget;

public static class WidgetSetup
{
    public const string SessionStartPolicy = "widget-session-start";
    public const string SessionWritePolicy = "widget-session-write";

    /// <summary>The event bus, and the widget API's rate limits: per IP on every widget route, per session on writes.</summary>
    public static IServiceCollection AddSwitchboardWidget(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WidgetOptions>().Bind(configuration.GetSection(WidgetOptions.Section)).ValidateOnStart();
        services.TryAddSingleton<IEventBus, InProcessEventBus>();
        services.AddOptions<AutoReplyOptions>().Bind(configuration.GetSection("Ai"));
        services.AddSingleton<ReplyQueue>();
        services.AddSingleton<CustomerMessages>();
        services.AddHostedService<ReplyWorker>();
        services.AddSingleton<WidgetOrigins>();

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = WriteTooManyRequestsAsync;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (!http.Request.Path.StartsWithSegments("/api/widget"))
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var limit = http.RequestServices.GetRequiredService<IOptions<WidgetOptions>>().Value.RequestsPerMinutePerIp;
                return RateLimitPartition.GetFixedWindowLimiter("ip:" + ClientIp(http), _ => PerMinute(limit));
            });
            o.AddPolicy(SessionStartPolicy, http => RateLimitPartition.GetFixedWindowLimiter("start:" + ClientIp(http),
                _ => PerMinute(http.RequestServices.GetRequiredService<IOptions<WidgetOptions>>().Value.SessionsPerMinutePerIp)));
            o.AddPolicy(SessionWritePolicy, http => RateLimitPartition.GetFixedWindowLimiter("session:" + http.GetRouteValue("token"),
                _ => PerMinute(http.RequestServices.GetRequiredService<IOptions<WidgetOptions>>().Value.MessagesPerMinutePerSession)));
        });
        return services;
    }

    private static FixedWindowRateLimiterOptions PerMinute(int permits) => new()
    {
        PermitLimit = Math.Max(1, permits),
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
    };

    private static string ClientIp(HttpContext http) => (http.Connection.RemoteIpAddress ?? IPAddress.Loopback).ToString();

    private static async ValueTask WriteTooManyRequestsAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? (int)Math.Ceiling(after.TotalSeconds) : 60;
        http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"Slow down: this chat or address sent too many requests. Try again in {retry} seconds.",
                Extensions = { ["retryAfterSeconds"] = retry },
            },
        });
    }
}
