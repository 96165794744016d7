using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Switchboard.Features.Escalation.Detectors;

public static class EscalationDetectorsServiceCollectionExtensions
{
    /// <summary>The escalation detectors: <see cref="HumanRequestDetector"/> on the registered embedding model
    /// (<see cref="FrustrationDetector"/> is static and needs nothing).</summary>
    public static IServiceCollection AddEscalationDetectors(this IServiceCollection services)
    {
        services.TryAddSingleton<HumanRequestDetector>();
        services.AddHostedService<DetectorWarmup>();
        return services;
    }
}
