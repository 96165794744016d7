using Microsoft.AspNetCore.DataProtection;
using Scalar.AspNetCore;
using Switchboard.Components;
using Switchboard.Data;
using Switchboard.Features.Accounts;
using Switchboard.Features.Ai.OpenAi;
using Switchboard.Features.Ai;
using Switchboard.Features.Analytics;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Escalation.Detectors;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Knowledge.Import;
using Switchboard.Features.Organizations;
using Switchboard.Features.Webhooks;
using Switchboard.Features.Widget;
using Switchboard.Tenancy;

namespace Switchboard;

/// <summary>The table of contents: which features the host has, in the order a request meets them.</summary>
public static class SwitchboardApp
{
    /// <summary>Everything the server and the CLI share.</summary>
    public static IHostApplicationBuilder AddSwitchboardServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSwitchboardData(builder.Configuration);
        services.AddSwitchboardAccounts();
        services.AddSwitchboardAi(builder.Configuration);
        services.AddEscalationDetectors();
        services.AddSwitchboardKnowledge();
        services.AddSwitchboardKnowledgeImport();
        services.AddSingleton<KnowledgeIndexingStatus>();
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddAntiforgery();
        // Tokens and cookies survive restarts: the keys live beside the data (DataProtection:KeysPath).
        services.AddDataProtection()
            .SetApplicationName("Switchboard")
            .PersistKeysToFileSystem(new DirectoryInfo(builder.Configuration["DataProtection:KeysPath"] ?? "data/keys"));
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        services.AddTransient<DemoData>();
        services.AddScoped<MemberService>();
        services.AddSwitchboardWidget(builder.Configuration);
        services.AddSwitchboardEscalation(builder.Configuration);
        services.AddAgentAnalytics(builder.Configuration);
        services.AddSwitchboardWebhooks(builder.Configuration);
        builder.AddSwitchboardConsole();
        // Last: the optional OpenAI-compatible providers replace the default answerer and embedding generator.
        builder.Services.AddSwitchboardChat(builder.Configuration);
        return builder;
    }

    public static WebApplication UseSwitchboardPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        WidgetOrigins.UseWidgetFrameAncestors(app);
        app.UseStaticFiles();
        WidgetOrigins.UseWidgetPreflight(app);
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapSwitchboardEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("Switchboard API").WithOpenApiRoutePattern("/openapi/v1.json"));

        app.MapAuthApi();
        app.MapOrganizationsApi();
        app.MapMembersApi();
        app.MapWidgetApi();
        app.MapDemoPage();
        app.MapCustomerSessionsApi();
        app.MapAgentSessionsApi();
        app.MapKnowledgeApi();
        app.MapKnowledgeGapsAndAnswerTests();
        app.MapEmbeddingStatusApi();
        app.MapKnowledgeImportApi();
        app.MapKnowledgeIndexingApi();
        app.MapAnalyticsApi();
        app.MapEscalationRulesApi();
        app.MapAgentInboxApi();
        app.MapWebhooksApi();
        app.MapAnalyticsDashboardApi();
        app.MapSwitchboardConsole();
        return app;
    }
}
