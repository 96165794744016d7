using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Switchboard.Features.Analytics;

public static class AgentAnalyticsSetup
{
    /// <summary>Live agent_analytics, its rebuild and the organization dashboard (configuration section <c>Analytics</c>).</summary>
    public static IServiceCollection AddAgentAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AnalyticsOptions>(configuration.GetSection("Analytics"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AgentAnalyticsUpdater>();
        services.AddScoped<AnalyticsDashboard>();
        services.AddHostedService<AgentAnalyticsLiveService>();
        return services;
    }
}
