namespace Switchboard.Features.Knowledge;

/// <summary>Services of knowledge management: the article writer, the gap report, answer tests and their runner.</summary>
public static class AnswerTestsSetup
{
    public static IServiceCollection AddSwitchboardKnowledge(this IServiceCollection services)
    {
        services.AddScoped<KnowledgeArticles>();
        services.AddScoped<KnowledgeGaps>();
        services.AddOptions<AnswerTestOptions>().BindConfiguration("Knowledge:AnswerTests");
        services.AddSingleton<AnswerTestQueue>();
        services.AddSingleton<AnswerTestScheduler>();
        services.AddSingleton<AnswerTestRunner>();
        services.AddHostedService<AnswerTestService>();
        return services;
    }

    public static IEndpointRouteBuilder MapKnowledgeGapsAndAnswerTests(this IEndpointRouteBuilder app) =>
        app.MapKnowledgeGapsApi().MapAnswerTestsApi().MapKnowledgeSearchApi();
}
