using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using MudBlazor.Services;

namespace Switchboard.Components;

/// <summary>The console: Blazor with interactive server rendering and MudBlazor.</summary>
public static class ConsoleSetup
{
    public static IHostApplicationBuilder AddSwitchboardConsole(this IHostApplicationBuilder builder)
    {
        // `dotnet run` serves from the build output in Production, where ASP.NET Core only maps
        // package assets (MudBlazor, blazor.web.js) in Development; a published app has them in
        // wwwroot and no manifest, and this is a no-op there.
        if (builder.Environment is IWebHostEnvironment web)
        {
            StaticWebAssetsLoader.UseStaticWebAssets(web, builder.Configuration);
        }
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddScoped<ConsoleScope>();
        return builder;
    }

    public static WebApplication MapSwitchboardConsole(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
