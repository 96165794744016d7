using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Switchboard.Features.Escalation;

public static class EscalationSetup
{
    /// <summary>Escalation, assignment and the agent desk (configuration section <c>Escalation</c>).</summary>
    public static IServiceCollection AddSwitchboardEscalation(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<EscalationQueueOptions>(configuration.GetSection("Escalation"));
        services.AddSingleton<QueueSignal>();
        services.AddSingleton<Assignments>();
        services.AddSingleton<Escalations>();
        services.AddSingleton<AgentDesk>();
        services.AddSingleton<EscalationEngine>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<QueueDrainer>();
        return services;
    }
}
