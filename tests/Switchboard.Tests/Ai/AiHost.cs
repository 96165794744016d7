using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Data;
using Switchboard.Features.Ai;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;

namespace Switchboard.Tests.Ai;

/// <summary>
/// Switchboard's own services on a migrated SQLite database in a temporary directory, not started
/// (no background indexing: tests index when they mean to). All hosts share one MiniLM model, so
/// the test run loads it once.
/// </summary>
public class AiHost : IAsyncLifetime
{
    private static readonly Lazy<LocalEmbeddingGenerator> SharedEmbeddings = new(() => new LocalEmbeddingGenerator());

    private readonly string _directory = Directory.CreateTempSubdirectory("switchboard-ai-").FullName;
    private IHost? _host;

    /// <summary>Embeddings every host of the run shares.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> Embeddings => SharedEmbeddings.Value;

    public IServiceProvider Services => _host!.Services;

    public SystemDb SystemDb => Services.GetRequiredService<SystemDb>();

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async ValueTask InitializeAsync()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var settings = await DatabaseSettingsAsync(_directory);
        settings["Database:SeedDemoData"] = "false";
        settings["DataProtection:KeysPath"] = Path.Combine(_directory, "keys");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(Embeddings); // registered first, so AddSwitchboardAi keeps it
        builder.AddSwitchboardServices();
        _host = builder.Build();
        await Get<MigrationRunner>().MigrateAsync();
    }

    /// <summary>The database the host runs on: a SQLite file in <paramref name="directory"/> unless overridden.</summary>
    protected virtual Task<Dictionary<string, string?>> DatabaseSettingsAsync(string directory) =>
        Task.FromResult(new Dictionary<string, string?>
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:Switchboard"] = $"Data Source={Path.Combine(directory, "switchboard.db")}",
        });

    public async Task<Organization> CreateOrganizationAsync()
    {
        var org = new Organization { Name = "Org", Slug = "org-" + Guid.NewGuid().ToString("N")[..10] };
        await using var db = SystemDb.CreateContext();
        db.Organizations.Add(org);
        await db.SaveChangesAsync();
        return org;
    }

    /// <summary>Writes the articles (null organization: global) and indexes them as the background service would.</summary>
    public async Task<List<KnowledgeArticle>> AddArticlesAsync(Guid? organizationId, params (string Title, string Content)[] articles)
    {
        var rows = articles.Select(a => new KnowledgeArticle { OrganizationId = organizationId, Title = a.Title, Content = a.Content }).ToList();
        await using (var db = SystemDb.CreateContext())
        {
            db.Knowledge.AddRange(rows);
            await db.SaveChangesAsync();
        }
        await Get<KnowledgeIndexer>().IndexAsync([.. rows.Select(r => r.Id)], null, TestContext.Current.CancellationToken);
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        _host?.Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A small help centre of a fictional shop, for tests that need knowledge with distinct topics.</summary>
public static class ShopKnowledge
{
    public static readonly (string Title, string Content)[] Articles =
    [
        ("Shipping times and costs",
         "Standard shipping within the EU takes 3-5 business days and is free on orders over 50 EUR. Express shipping arrives in 1-2 business days for 12.90 EUR."),
        ("Returns and refunds",
         "You can return unworn items within 30 days of delivery. Refunds go back to the original payment method within 5 business days after the parcel reaches our warehouse."),
        ("Sizing guide",
         "Our jackets run true to size. Boots run half a size small, so order half a size up."),
        ("Payment methods",
         "We accept Visa, Mastercard, American Express, PayPal and SEPA direct debit. Your card is charged when the order ships."),
        ("Resetting your password",
         "To reset your password, click Forgot password on the sign-in page and follow the link we email you. The link expires after one hour."),
    ];
}
