using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Postgres;

/// <summary>
/// The principal is session state on a pooled connection, so it must die with the request that set
/// it. A pool of one connection makes every request after the first reuse the same server session.
/// </summary>
public sealed class PooledConnectionTests(RlsDatabase fixture) : IClassFixture<RlsDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PrincipalSettingsDoNotSurviveTheReturnOfAConnectionToThePool()
    {
        var db = await fixture.ReadyAsync();
        var connectionString = SinglePool(db, nameof(PrincipalSettingsDoNotSurviveTheReturnOfAConnectionToThePool));

        int firstBackend;
        await using (var first = new NpgsqlConnection(connectionString))
        {
            await first.OpenAsync(Ct);
            await RlsDatabase.SetPrincipalAsync(first, db.Seed.Customer.ToString(), db.Seed.CustomerToken, Ct);
            Assert.Equal(db.Seed.Customer.ToString(), await SettingAsync(first, "app.user_id"));
            firstBackend = first.ProcessID;
        }

        await using var second = new NpgsqlConnection(connectionString);
        await second.OpenAsync(Ct);

        Assert.Equal(firstBackend, second.ProcessID);
        Assert.True(string.IsNullOrEmpty(await SettingAsync(second, "app.user_id")), "app.user_id leaked into the next use of the connection");
        Assert.True(string.IsNullOrEmpty(await SettingAsync(second, "app.session_token")), "app.session_token leaked into the next use of the connection");
    }

    [Fact]
    public async Task TheNextUserOfAPooledConnectionSeesNoneOfThePreviousPrincipalsRows()
    {
        var db = await fixture.ReadyAsync();
        var connectionString = SinglePool(db, nameof(TheNextUserOfAPooledConnectionSeesNoneOfThePreviousPrincipalsRows));

        await using (var first = new NpgsqlConnection(connectionString))
        {
            await first.OpenAsync(Ct);
            await RlsDatabase.SetPrincipalAsync(first, db.Seed.Agent.ToString(), "", Ct);
            Assert.Equal(2L, await CountSessionsAsync(first));
        }

        await using var second = new NpgsqlConnection(connectionString);
        await second.OpenAsync(Ct);

        Assert.Equal(0L, await CountSessionsAsync(second));
    }

    [Fact]
    public async Task EachRequestScopeOfSwitchboardSeesOnlyItsOwnPrincipalsRowsOnOneSharedConnection()
    {
        var db = await fixture.ReadyAsync();
        var seed = db.Seed;
        using var host = PostgresMigrations.BuildHost(db.Database,
            SinglePool(db, nameof(EachRequestScopeOfSwitchboardSeesOnlyItsOwnPrincipalsRowsOnOneSharedConnection)));
        var backends = new HashSet<int>();

        async Task<List<Guid>> SessionsSeenBy(Action<CurrentPrincipal> signIn)
        {
            await using var scope = host.Services.CreateAsyncScope();
            signIn(scope.ServiceProvider.GetRequiredService<CurrentPrincipal>());
            var context = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await context.Database.OpenConnectionAsync(Ct);
            backends.Add(((NpgsqlConnection)context.Database.GetDbConnection()).ProcessID);
            // Only the database wall: the query filters would hide the same rows on their own.
            var ids = await context.Sessions.IgnoreQueryFilters().Select(s => s.Id).ToListAsync(Ct);
            await context.Database.CloseConnectionAsync();
            return [.. ids.Order()];
        }

        var customer = await SessionsSeenBy(p => p.SignIn(seed.Customer, false, []));
        var otherAgent = await SessionsSeenBy(p => p.SignIn(seed.OtherAgent, false, [new(seed.OtherOrg, OrgRoles.Agent)]));
        var anonymous = await SessionsSeenBy(p => p.SessionToken = seed.AnonymousToken);
        var nobody = await SessionsSeenBy(_ => { });
        var agent = await SessionsSeenBy(p => p.SignIn(seed.Agent, false, [new(seed.Org, OrgRoles.Agent)]));

        Assert.Single(backends);
        Assert.Equal([seed.CustomerSession], customer);
        Assert.Equal([seed.OtherCustomerSession], otherAgent);
        Assert.Equal([seed.AnonymousSession], anonymous);
        Assert.Empty(nobody);
        Assert.Equal(new[] { seed.AnonymousSession, seed.CustomerSession }.Order(), agent);
    }

    // Its own Application Name gives each test a pool of its own, so one connection is all it has.
    private static string SinglePool(RlsDatabase db, string name) =>
        new NpgsqlConnectionStringBuilder(db.Database.RequestConnectionString)
        {
            MaxPoolSize = 1,
            ApplicationName = name.Length > 60 ? name[..60] : name,
        }.ConnectionString;

    private static async Task<string?> SettingAsync(NpgsqlConnection connection, string name)
    {
        await using var command = new NpgsqlCommand("SELECT current_setting(@name, true)", connection);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(Ct) as string;
    }

    private static async Task<long> CountSessionsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM chatbot_sessions", connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
