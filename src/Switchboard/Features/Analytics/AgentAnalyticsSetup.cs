using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Switchboard.Features.Analytics;

public static class AgentAnalyticsSetup
{
    /// <summary>Live agent_analytics and its rebuild (configuration section <c>Analytics</c>: <c>Analytics:Live</c>).</summary>
    public static IServiceCollection AddAgentAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AnalyticsOptions>(configuration.GetSection("Analytics"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AgentAnalyticsUpdater>();
        services.AddHostedService<AgentAnalyticsLiveService>();
        return services;
    }
}
