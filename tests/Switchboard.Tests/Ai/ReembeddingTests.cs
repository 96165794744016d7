using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Features.Accounts;
using Switchboard.Features.Ai;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;
using Switchboard.Tests.Ai.OpenAi;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Widget;

namespace Switchboard.Tests.Ai;

/// <summary>
/// An OpenAI-compatible embeddings server (the real <see cref="StubChatServer"/> on 127.0.0.1) whose models are
/// MiniLM in disguise: each model id rearranges MiniLM's vector into its own space of another size, so retrieval
/// with it finds the same articles while its vectors can never be compared with another model's. Requests carrying
/// more than one text (the indexer's batches) can be held at a gate or failed; single texts (questions, one new
/// passage) always pass unless the model is failed outright.
/// </summary>
public sealed class DisguisedEmbeddings : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _gate = NewOpenGate();
    private int _batchRequests;
    private int _texts;

    private DisguisedEmbeddings(StubChatServer server) => Server = server;

    public StubChatServer Server { get; }

    public Uri Endpoint => Server.Endpoint;

    /// <summary>Texts embedded (answered) so far.</summary>
    public int Texts => Volatile.Read(ref _texts);

    /// <summary>Batch requests received so far, held or not.</summary>
    public int BatchRequests => Volatile.Read(ref _batchRequests);

    /// <summary>Batches fail with a 500 while this is set.</summary>
    public volatile bool FailBatches;

    /// <summary>Every request for these models fails with a 500 (the model is gone).</summary>
    public HashSet<string> FailedModels { get; } = [];

    /// <summary>Batches after the first <see cref="PassBatches"/> wait at the gate until it opens.</summary>
    public int PassBatches { get; set; } = int.MaxValue;

    public static async Task<DisguisedEmbeddings> StartAsync()
    {
        DisguisedEmbeddings? self = null;
        var server = await StubChatServer.StartAsync((request, context) => self!.HandleAsync(request, context));
        self = new DisguisedEmbeddings(server);
        return self;
    }

    public void CloseGate()
    {
        lock (_lock) _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void OpenGate()
    {
        lock (_lock) _gate.TrySetResult();
    }

    /// <summary>Model id → dimensions: its vector is MiniLM's, reversed when the size is even-numbered above 384 by 16, padded with zeros.</summary>
    public static float[] Disguise(string model, ReadOnlySpan<float> miniLm)
    {
        var extra = model.EndsWith("new", StringComparison.Ordinal) ? 16 : 8;
        var vector = new float[miniLm.Length + extra];
        miniLm.CopyTo(vector);
        if (extra == 16) Array.Reverse(vector, 0, miniLm.Length);
        return vector;
    }

    public static int DimensionsOf(string model) => LocalEmbeddingGenerator.Dimensions + (model.EndsWith("new", StringComparison.Ordinal) ? 16 : 8);

    private async Task HandleAsync(StubRequest request, HttpContext context)
    {
        var model = request.Json.GetProperty("model").GetString()!;
        var input = request.Json.GetProperty("input");
        var texts = input.ValueKind == JsonValueKind.Array ? [.. input.EnumerateArray().Select(e => e.GetString()!)] : new List<string> { input.GetString()! };
        bool failed;
        lock (_lock) failed = FailedModels.Contains(model);
        if (texts.Count > 1)
        {
            var number = Interlocked.Increment(ref _batchRequests);
            failed |= FailBatches;
            if (!failed && number > PassBatches)
            {
                Task gate;
                lock (_lock) gate = _gate.Task;
                await gate.WaitAsync(context.RequestAborted);
            }
        }
        if (failed)
        {
            await StubChatServer.Status(500)(request, context);
            return;
        }
        var vectors = await AiHost.Embeddings.GenerateAsync(texts, cancellationToken: context.RequestAborted);
        Interlocked.Add(ref _texts, texts.Count);
        var data = new JsonArray([.. vectors.Select((v, i) => (JsonNode)new JsonObject
        {
            ["object"] = "embedding",
            ["index"] = i,
            ["embedding"] = Convert.ToBase64String(Disguise(model, v.Vector.Span).SelectMany(BitConverter.GetBytes).ToArray()),
        })]);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["object"] = "list", ["data"] = data, ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = texts.Count, ["total_tokens"] = texts.Count },
        }.ToJsonString());
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    public ValueTask DisposeAsync()
    {
        OpenGate();
        return Server.DisposeAsync();
    }
}

/// <summary>A server on a database that outlives it: each instance is one start of Switchboard with its own AI configuration.</summary>
public sealed class ReembedServer(Dictionary<string, string?> database, Dictionary<string, string?> ai) : SwitchboardFactory
{
    public override string ProviderName => database["Database:Provider"]!;

    protected override Task<Dictionary<string, string?>> DatabaseSettingsAsync() => Task.FromResult(new Dictionary<string, string?>(database));

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Ai:AutoReply"] = "true";
        foreach (var (key, value) in ai) settings[key] = value;
    }

    public static async Task<ReembedServer> StartAsync(Dictionary<string, string?> database, Dictionary<string, string?> ai)
    {
        var server = new ReembedServer(database, ai);
        await server.InitializeAsync();
        return server;
    }
}

/// <summary>
/// Changing the embedding model (configuration + restart): the knowledge is re-embedded in the background while
/// questions keep being answered from the previous model's complete vectors; then retrieval switches to the new
/// model and the previous model's passages are deleted (docs/ai.md, "Changing the model").
/// </summary>
public abstract class ReembeddingTests : IAsyncLifetime
{
    protected const string NewModel = "stub-embed-new";
    protected const string OldRemoteModel = "stub-embed-old";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected Dictionary<string, string?> Database { get; private set; } = [];

    protected abstract Task<Dictionary<string, string?>> CreateDatabaseAsync();

    public async ValueTask InitializeAsync() => Database = await CreateDatabaseAsync();

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected static Dictionary<string, string?> Local => new() { ["Ai:Embeddings:Provider"] = "Local" };

    /// <param name="timeoutSeconds">Long by default: a batch held at the gate must not time out (and fail the run) while a test looks at it.</param>
    protected static Dictionary<string, string?> Remote(DisguisedEmbeddings stub, string model, int timeoutSeconds = 300) => new()
    {
        ["Ai:Embeddings:Provider"] = "OpenAI",
        ["Ai:Embeddings:Endpoint"] = stub.Endpoint.ToString(),
        ["Ai:Embeddings:Model"] = model,
        ["Ai:Embeddings:TimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ai:Reembedding:RetrySeconds"] = "1",
        ["Ai:Reembedding:MaxRetrySeconds"] = "2",
    };

    [Fact]
    public async Task AnswersComeFromThePreviousModelUntilTheNewOneCoversEverythingThenRetrievalSwitchesAndTheOldPassagesGo()
    {
        Organization org;
        List<KnowledgeArticle> articles;
        await using (var before = await ReembedServer.StartAsync(Database, Local))
        {
            (org, articles) = await WidgetAi.CreateOrganizationAsync(before, ShopKnowledge.Articles);
        }
        var shipping = articles.Single(a => a.Title == "Shipping times and costs");
        await using var stub = await DisguisedEmbeddings.StartAsync();
        stub.PassBatches = 0;
        stub.CloseGate();

        await using var server = await ReembedServer.StartAsync(Database, Remote(stub, NewModel));
        var admin = await AdminClientAsync(server, org);
        await Until(() => stub.BatchRequests > 0, "the re-embedding never asked the new model");

        // Mid-way: the new model has nothing yet, the previous one everything, and answers come from it.
        var during = await AskAsync(server, org, "How long does shipping take?");
        Assert.Equal(shipping.Id, Sources(during).Single());
        Assert.Equal(LocalEmbeddingGenerator.ModelName, EmbeddingModelOf(during));
        Assert.Contains("3-5 business days", during.GetProperty("content").GetString(), StringComparison.Ordinal);
        var progress = await admin.GetFromJsonAsync<JsonElement>($"/api/orgs/{org.Id}/knowledge/embeddings", Ct);
        Assert.Equal(ReembeddingStates.Reembedding, progress.GetProperty("state").GetString());
        Assert.Equal(NewModel, progress.GetProperty("configuredModel").GetString());
        Assert.Equal(LocalEmbeddingGenerator.ModelName, progress.GetProperty("servingModel").GetString());
        Assert.Equal([LocalEmbeddingGenerator.ModelName], progress.GetProperty("previousModels").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(ShopKnowledge.Articles.Length, progress.GetProperty("passagesTotal").GetInt32());
        Assert.Equal(ShopKnowledge.Articles.Length, progress.GetProperty("covered").GetProperty(LocalEmbeddingGenerator.ModelName).GetInt32());

        stub.OpenGate();
        var done = await UntilAsync(() => admin.GetFromJsonAsync<JsonElement>($"/api/orgs/{org.Id}/knowledge/embeddings", Ct),
            s => s.GetProperty("state").GetString() == ReembeddingStates.Current, "re-embedding never completed");
        Assert.Equal(NewModel, done.GetProperty("servingModel").GetString());
        Assert.Empty(done.GetProperty("previousModels").EnumerateArray());

        var after = await AskAsync(server, org, "How long does shipping take?");
        Assert.Equal(shipping.Id, Sources(after).Single());
        Assert.Equal(NewModel, EmbeddingModelOf(after));
        await using var db = server.SystemContext();
        var chunks = await db.KnowledgeChunks.AsNoTracking().Where(c => c.OrganizationId == org.Id).ToListAsync(Ct);
        Assert.Equal(ShopKnowledge.Articles.Length, chunks.Count);
        Assert.All(chunks, c =>
        {
            Assert.Equal(NewModel, c.EmbeddingModel);
            Assert.Equal(DisguisedEmbeddings.DimensionsOf(NewModel), c.Embedding.Length);
        });
        Assert.All(await db.Knowledge.AsNoTracking().Where(a => a.OrganizationId == org.Id).ToListAsync(Ct), a => Assert.Equal(NewModel, a.EmbeddingModel));
    }

    [Fact]
    public async Task AFailingNewModelLeavesAnswersOnThePreviousModelAndTheReembeddingIsRetried()
    {
        Organization org;
        await using (var before = await ReembedServer.StartAsync(Database, Local))
        {
            (org, _) = await WidgetAi.CreateOrganizationAsync(before, ShopKnowledge.Articles);
        }
        await using var stub = await DisguisedEmbeddings.StartAsync();
        stub.FailBatches = true;

        await using var server = await ReembedServer.StartAsync(Database, Remote(stub, NewModel, timeoutSeconds: 10));
        var admin = await AdminClientAsync(server, org);
        var failing = await UntilAsync(() => admin.GetFromJsonAsync<JsonElement>($"/api/orgs/{org.Id}/knowledge/embeddings", Ct),
            s => s.GetProperty("state").GetString() == ReembeddingStates.Retrying && s.GetProperty("nextRetryAt").ValueKind == JsonValueKind.String,
            "the failure was never reported");
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("lastError").GetString()));

        var during = await AskAsync(server, org, "Which cards do you accept?");
        Assert.Equal("Payment methods", Titles(during).Single());
        Assert.Equal(LocalEmbeddingGenerator.ModelName, EmbeddingModelOf(during));

        var failedBatches = stub.BatchRequests;
        stub.FailBatches = false;
        await UntilAsync(() => admin.GetFromJsonAsync<JsonElement>($"/api/orgs/{org.Id}/knowledge/embeddings", Ct),
            s => s.GetProperty("state").GetString() == ReembeddingStates.Current, "the re-embedding was never retried to completion");
        Assert.True(stub.BatchRequests > failedBatches);
        var after = await AskAsync(server, org, "Which cards do you accept?");
        Assert.Equal("Payment methods", Titles(after).Single());
        Assert.Equal(NewModel, EmbeddingModelOf(after));
    }

    // ---- Steps ---------------------------------------------------------------------------------------------------

    protected static async Task<HttpClient> AdminClientAsync(SwitchboardFactory server, Organization org)
    {
        var email = $"admin-{Guid.NewGuid():N}@example.test";
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var (user, _) = await UserAccounts.CreateAsync(scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>(), email, "Admin", TestWorld.Password, false);
            await using var db = server.SystemContext();
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = org.Id, UserId = user!.Id, Role = OrgRoles.Admin });
            await db.SaveChangesAsync(Ct);
        }
        return await server.ClientForAsync(email, TestWorld.Password);
    }

    protected static async Task<JsonElement> AskAsync(SwitchboardFactory server, Organization org, string question)
    {
        var client = server.CreateClient();
        var token = await WidgetAi.StartAsync(client, org);
        using var stream = await WidgetAi.OpenEventsAsync(client, token);
        await WidgetAi.PostAsync(client, token, question);
        var (_, answer) = await WidgetAi.ReadAnswerAsync(stream);
        return JsonDocument.Parse(answer.Data).RootElement.Clone();
    }

    protected static List<Guid> Sources(JsonElement message) =>
        [.. message.GetProperty("aiMetadata").GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("articleId").GetGuid())];

    protected static List<string> Titles(JsonElement message) =>
        [.. message.GetProperty("aiMetadata").GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("title").GetString()!)];

    protected static string? EmbeddingModelOf(JsonElement message) =>
        message.GetProperty("aiMetadata").TryGetProperty("embeddingModel", out var m) ? m.GetString() : null;

    protected static async Task Until(Func<bool> done, string failure)
    {
        var deadline = DateTimeOffset.UtcNow + Wait;
        while (!done())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, failure);
            await Task.Delay(50, Ct);
        }
    }

    protected static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string failure)
    {
        var deadline = DateTimeOffset.UtcNow + Wait;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            Assert.True(DateTimeOffset.UtcNow < deadline, failure + ": " + value);
            await Task.Delay(100, Ct);
        }
    }
}

public sealed class SqliteReembeddingTests : ReembeddingTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("switchboard-reembed-").FullName;

    protected override Task<Dictionary<string, string?>> CreateDatabaseAsync() => Task.FromResult(new Dictionary<string, string?>
    {
        ["Database:Provider"] = "Sqlite",
        ["ConnectionStrings:Switchboard"] = $"Data Source={Path.Combine(_directory, "switchboard.db")}",
    });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task ARestartMidwayResumesWithoutEmbeddingAgainWhatWasWritten()
    {
        // 300 one-passage articles: two embedding batches (256 + 44).
        var bulk = Enumerable.Range(1, 300).Select(i => ($"Store {i}", $"Store number {i} opens at {i % 12 + 1} o'clock.")).ToArray();
        await using (var before = await ReembedServer.StartAsync(Database, Local))
        {
            await WidgetAi.CreateOrganizationAsync(before, bulk);
        }
        await using var stub = await DisguisedEmbeddings.StartAsync();
        stub.PassBatches = 1;
        stub.CloseGate();
        await using (var first = await ReembedServer.StartAsync(Database, Remote(stub, NewModel)))
        {
            await Until(() => stub.BatchRequests >= 2, "the second batch never reached the new model");
            await using var db = first.SystemContext();
            await Until(() => db.KnowledgeChunks.Count(c => c.EmbeddingModel == NewModel) == 256, "the first batch was not written before the second was asked");
        }
        Assert.Equal(256, stub.Texts);

        stub.PassBatches = int.MaxValue;
        await using var second = await ReembedServer.StartAsync(Database, Remote(stub, NewModel));
        var status = second.Services.GetRequiredService<ReembeddingStatus>();
        await Until(() => status.Current.State == ReembeddingStates.Current, "the restarted re-embedding never completed");
        Assert.Equal(300, stub.Texts);
        Assert.Equal(44, status.Current.PassagesTotal);
        await using var check = second.SystemContext();
        Assert.Equal(300, await check.KnowledgeChunks.CountAsync(Ct));
        Assert.Equal(300, await check.KnowledgeChunks.CountAsync(c => c.EmbeddingModel == NewModel, Ct));
    }

    [Fact]
    public async Task AnArticleWrittenDuringTheReembeddingIsAnsweredRightAfterItIsIndexed()
    {
        Organization org;
        await using (var before = await ReembedServer.StartAsync(Database, Local))
        {
            (org, _) = await WidgetAi.CreateOrganizationAsync(before, ShopKnowledge.Articles);
        }
        await using var stub = await DisguisedEmbeddings.StartAsync();
        stub.PassBatches = 0;
        stub.CloseGate();
        await using var server = await ReembedServer.StartAsync(Database, Remote(stub, NewModel));
        var admin = await AdminClientAsync(server, org);
        await Until(() => stub.BatchRequests > 0, "the re-embedding never asked the new model");

        var created = await admin.PostAsJsonAsync($"/api/orgs/{org.Id}/knowledge", new
        {
            title = "Berlin store opening hours",
            content = "Our Berlin store on Torstrasse is open Monday to Saturday from 10:00 to 20:00 and closed on Sundays.",
        }, Ct);
        created.EnsureSuccessStatusCode();
        var hours = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        await using (var db = server.SystemContext())
        {
            // Indexed in the background with both models, although the re-embedding is still held up.
            await Until(() => db.KnowledgeChunks.Count(c => c.ArticleId == hours) == 2, "the new article was not indexed with both models");
        }

        var answer = await AskAsync(server, org, "When is the Berlin store open?");
        Assert.Equal(hours, Sources(answer).Single());
        Assert.Equal(LocalEmbeddingGenerator.ModelName, EmbeddingModelOf(answer));
        Assert.Equal(ReembeddingStates.Reembedding, server.Services.GetRequiredService<ReembeddingStatus>().Current.State);

        stub.OpenGate();
        var status = server.Services.GetRequiredService<ReembeddingStatus>();
        await Until(() => status.Current.State == ReembeddingStates.Current, "re-embedding never completed");
        var after = await AskAsync(server, org, "When is the Berlin store open?");
        Assert.Equal(hours, Sources(after).Single());
        Assert.Equal(NewModel, EmbeddingModelOf(after));
    }

    [Fact]
    public async Task WhenThePreviousModelCannotEmbedQuestionsAnswersFallBackToTheNewModelsPartialCoverage()
    {
        await using var stub = await DisguisedEmbeddings.StartAsync();
        Organization org;
        await using (var before = await ReembedServer.StartAsync(Database, Remote(stub, OldRemoteModel)))
        {
            (org, _) = await WidgetAi.CreateOrganizationAsync(before, ShopKnowledge.Articles);
        }
        var asked = stub.BatchRequests;
        stub.PassBatches = asked;
        stub.CloseGate();
        await using var server = await ReembedServer.StartAsync(Database, Remote(stub, NewModel));
        await Until(() => stub.BatchRequests > asked, "the re-embedding never asked the new model");
        var indexer = server.Services.GetRequiredService<KnowledgeIndexer>();
        var hours = new KnowledgeArticle
        {
            OrganizationId = org.Id, Title = "Berlin store opening hours",
            Content = "Our Berlin store on Torstrasse is open Monday to Saturday from 10:00 to 20:00 and closed on Sundays.",
        };
        await using (var db = server.SystemContext())
        {
            db.Knowledge.Add(hours);
            await db.SaveChangesAsync(Ct);
        }
        lock (stub.FailedModels) stub.FailedModels.Add(OldRemoteModel);
        await indexer.IndexAsync([hours.Id], null, Ct);

        // The previous model covers the five old articles, the new one only the new article; the previous model fails.
        var answer = await AskAsync(server, org, "When is the Berlin store on Torstrasse open?");
        Assert.Equal(hours.Id, Sources(answer).Single());
        Assert.Equal(NewModel, EmbeddingModelOf(answer));
    }
}

public sealed class PostgresReembeddingTests : ReembeddingTests
{
    protected override async Task<Dictionary<string, string?>> CreateDatabaseAsync()
    {
        var database = await PostgresMigrations.CreateMigratedDatabaseAsync("reembed");
        return new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["Database:MigrateOnStartup"] = "false",
            ["ConnectionStrings:Switchboard"] = database.RequestConnectionString,
            ["ConnectionStrings:SwitchboardAdmin"] = database.AdminConnectionString,
        };
    }
}

/// <summary>Which model retrieval serves, from coverage alone.</summary>
public sealed class KnowledgeCoverageTests
{
    [Fact]
    public void TheConfiguredModelServesOnlyOnceItCoversEveryArticle()
    {
        var partial = new KnowledgeCoverage(5, new Dictionary<string, int> { ["old"] = 5, ["new"] = 4 });
        Assert.Equal("old", partial.Serving("new"));
        var complete = new KnowledgeCoverage(5, new Dictionary<string, int> { ["old"] = 5, ["new"] = 5 });
        Assert.Equal("new", complete.Serving("new"));
    }

    [Fact]
    public void WithoutACompleteModelTheOneCoveringMostServesAndTheConfiguredOneWinsATie()
    {
        Assert.Equal("old", new KnowledgeCoverage(6, new Dictionary<string, int> { ["old"] = 5, ["new"] = 1 }).Serving("new"));
        Assert.Equal("new", new KnowledgeCoverage(6, new Dictionary<string, int> { ["old"] = 3, ["new"] = 3 }).Serving("new"));
        Assert.Equal("new", new KnowledgeCoverage(0, new Dictionary<string, int>()).Serving("new"));
    }
}

/// <summary>GET /api/orgs/{orgId}/knowledge/embeddings: the organization's admins only; strangers learn nothing.</summary>
public abstract class EmbeddingStatusApiTests<TFactory>(WorldFixture<TFactory> fixture) : IClassFixture<WorldFixture<TFactory>>
    where TFactory : SwitchboardFactory, new()
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private TestWorld World => fixture.World;

    [Fact]
    public async Task AnAdminSeesWhichModelAnswersAndOthersAreRefused()
    {
        var url = $"/api/orgs/{World.OrgA.Id}/knowledge/embeddings";
        var status = await World["adminA"].Client.GetFromJsonAsync<JsonElement>(url, Ct);
        // The start-up run decides within moments whether anything needs re-embedding.
        for (var attempt = 0; status.GetProperty("state").GetString() == ReembeddingStates.Checking; attempt++)
        {
            Assert.True(attempt < 200, "the start-up run never reported");
            await Task.Delay(50, Ct);
            status = await World["adminA"].Client.GetFromJsonAsync<JsonElement>(url, Ct);
        }
        Assert.Equal(LocalEmbeddingGenerator.ModelName, status.GetProperty("configuredModel").GetString());
        Assert.Equal(LocalEmbeddingGenerator.ModelName, status.GetProperty("servingModel").GetString());
        Assert.Equal(ReembeddingStates.Current, status.GetProperty("state").GetString());
        Assert.Empty(status.GetProperty("previousModels").EnumerateArray());

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await World["agentA"].Client.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await World["memberA"].Client.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await World["adminB"].Client.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await World["anonymous"].Client.GetAsync(url, Ct)).StatusCode);
    }
}

public sealed class SqliteEmbeddingStatusApiTests(WorldFixture<SqliteFactory> fixture) : EmbeddingStatusApiTests<SqliteFactory>(fixture);

public sealed class PostgresEmbeddingStatusApiTests(WorldFixture<PostgresFactory> fixture) : EmbeddingStatusApiTests<PostgresFactory>(fixture);

/// <summary>Passages of two models side by side, on the services without HTTP.</summary>
public sealed class TwoModelPassagesTests(AiHost host) : IClassFixture<AiHost>
{
    private const string GoneModel = "gone-model";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A copy of the articles' passages as if a previous model had embedded them (its own vectors: MiniLM's, reversed).</summary>
    private async Task AddPreviousModelPassagesAsync(IEnumerable<Guid> articleIds)
    {
        var ids = articleIds.ToList();
        await using var db = host.SystemDb.CreateContext();
        var rows = await db.KnowledgeChunks.AsNoTracking().Where(c => ids.Contains(c.ArticleId)).ToListAsync(Ct);
        db.KnowledgeChunks.AddRange(rows.Select(c => new KnowledgeChunk
        {
            ArticleId = c.ArticleId, OrganizationId = c.OrganizationId, Ordinal = c.Ordinal, Text = c.Text,
            Embedding = [.. c.Embedding.Reverse()], EmbeddingModel = GoneModel, ContentHash = KnowledgeChunker.Hash(GoneModel, c.Text),
        }));
        await db.SaveChangesAsync(Ct);
    }

    [Fact]
    public async Task FullTextSearchReturnsEachArticleOnceWhenTwoModelsHoldItsPassages()
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);
        await AddPreviousModelPassagesAsync(articles.Select(a => a.Id));

        var hits = await host.Get<FullTextSearch>().SearchAsync(org.Id, "shipping returns refunds payment password", 50, Ct);

        Assert.Equal(hits.Count, hits.Select(h => h.ArticleId).Distinct().Count());
        Assert.Contains(articles.Single(a => a.Title == "Shipping times and costs").Id, hits.Select(h => h.ArticleId));
    }

    [Fact]
    public async Task AnEditDropsThePassagesOfAPreviousModelThatCanNoLongerEmbedAndKeepsTheUnchangedOnes()
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);
        await AddPreviousModelPassagesAsync(articles.Select(a => a.Id));
        var sizing = articles.Single(a => a.Title == "Sizing guide");
        // No endpoint is configured, so nothing can embed with the previous model any more.
        Assert.Null(host.Get<EmbeddingModels>().Get(GoneModel));

        await using (var db = host.SystemDb.CreateContext())
        {
            await db.Knowledge.Where(a => a.Id == sizing.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Content, "Our jackets run large: order one size down."), Ct);
        }
        await host.Get<KnowledgeIndexer>().IndexAsync([sizing.Id], null, Ct);

        await using var check = host.SystemDb.CreateContext();
        var sizingRows = await check.KnowledgeChunks.AsNoTracking().Where(c => c.ArticleId == sizing.Id).ToListAsync(Ct);
        Assert.Equal([LocalEmbeddingGenerator.ModelName], sizingRows.Select(c => c.EmbeddingModel).Distinct());
        Assert.Equal("Our jackets run large: order one size down.", Assert.Single(sizingRows).Text);
        Assert.Equal(ShopKnowledge.Articles.Length - 1, await check.KnowledgeChunks.CountAsync(c => c.OrganizationId == org.Id && c.EmbeddingModel == GoneModel, Ct));

        // The configured model covers every article, so it serves; the question needs no previous model.
        var serving = await host.Get<VectorIndex>().GetServingAsync(org.Id, Ct);
        Assert.Equal(LocalEmbeddingGenerator.ModelName, serving.Model);
        Assert.Equal(ShopKnowledge.Articles.Length, serving.Coverage.Articles);
        Assert.Equal(ShopKnowledge.Articles.Length - 1, serving.Coverage.Of(GoneModel));
    }

    [Fact]
    public async Task WhileThePreviousModelCoversEverythingItServesAndAQuestionFallsBackWhenItCannotEmbed()
    {
        var org = await host.CreateOrganizationAsync();
        var articles = await host.AddArticlesAsync(org.Id, ShopKnowledge.Articles);
        await AddPreviousModelPassagesAsync(articles.Select(a => a.Id));
        // The configured model lost one article's passages: the previous model is the only complete one.
        var returns = articles.Single(a => a.Title == "Returns and refunds");
        await using (var db = host.SystemDb.CreateContext())
        {
            await db.KnowledgeChunks.Where(c => c.ArticleId == returns.Id && c.EmbeddingModel == LocalEmbeddingGenerator.ModelName).ExecuteDeleteAsync(Ct);
        }
        var index = host.Get<VectorIndex>();
        index.Invalidate(org.Id);

        Assert.Equal(GoneModel, (await index.GetServingAsync(org.Id, Ct)).Model);
        var query = await index.EmbedQuestionAsync(org.Id, "How long does shipping take?", Ct);
        Assert.Equal(LocalEmbeddingGenerator.ModelName, query.Model);
        Assert.Equal($"previous_model_failed:{GoneModel}", query.Fallback);
        Assert.Equal(ShopKnowledge.Articles.Length - 1, query.Matrix.ArticleCount);
        Assert.Equal("Shipping times and costs", query.Matrix.Search(query.Vector.Span, 1).Articles[0].Title);
    }
}
