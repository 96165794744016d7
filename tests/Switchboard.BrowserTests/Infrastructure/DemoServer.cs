using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Data;
using Switchboard.Features.Organizations;

namespace Switchboard.BrowserTests.Infrastructure;

/// <summary>
/// The real server on Kestrel, on 127.0.0.1 and a free port, so that a real browser can reach it:
/// SQLite in a temporary folder, with the demo company seeded as on a first `dotnet run`.
/// </summary>
public sealed class DemoServer : WebApplicationFactory<Program>
{
    private readonly string _directory = Directory.CreateTempSubdirectory("switchboard-browser-").FullName;
    private readonly bool _seedDemoData;

    public DemoServer(bool seedDemoData = true, bool kestrel = true)
    {
        _seedDemoData = seedDemoData;
        if (kestrel)
        {
            UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        }
    }

    /// <summary>Where the browser finds the server, e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public void Start()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting is visible while Program registers services, unlike ConfigureAppConfiguration.
        builder.UseSetting("Database:Provider", "Sqlite");
        builder.UseSetting("ConnectionStrings:Switchboard", $"Data Source={Path.Combine(_directory, "switchboard.db")}");
        builder.UseSetting("Database:SeedDemoData", _seedDemoData ? "true" : "false");
        builder.UseSetting("DataProtection:KeysPath", Path.Combine(_directory, "keys"));
    }

    public async Task<string> DemoWidgetKeyAsync()
    {
        await using var db = Services.GetRequiredService<SystemDb>().CreateContext();
        return await db.Organizations.Where(o => o.Slug == DemoData.Slug).Select(o => o.WidgetKey).SingleAsync();
    }

    /// <summary>Lets pages of <paramref name="origin"/> show the demo organization's widget.</summary>
    public async Task AllowOriginAsync(string origin)
    {
        await using var db = Services.GetRequiredService<SystemDb>().CreateContext();
        var demo = await db.Organizations.SingleAsync(o => o.Slug == DemoData.Slug);
        demo.AllowedOrigins = [.. demo.AllowedOrigins, origin];
        await db.SaveChangesAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
