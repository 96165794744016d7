using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Switchboard.Tests.Infrastructure;

/// <summary>One server and one <see cref="TestWorld"/> per test class.</summary>
public sealed class WorldFixture<TFactory> : IAsyncLifetime where TFactory : SwitchboardFactory, new()
{
    public TFactory Factory { get; } = new();
    public TestWorld World { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        World = await TestWorld.CreateAsync(Factory);
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>Every row of the five seed tables, as text: equal before and after means nothing was written.</summary>
    public async Task<string> FingerprintAsync()
    {
        await using var db = Factory.SystemContext();
        var text = new StringBuilder();
        foreach (var s in await db.Sessions.AsNoTracking().OrderBy(s => s.Id).ToListAsync())
            text.AppendLine($"S {s.Id} {s.Status} {s.UserId} {s.UpdatedAt.UtcTicks}");
        foreach (var m in await db.Messages.AsNoTracking().OrderBy(m => m.Id).ToListAsync())
            text.AppendLine($"M {m.Id} {m.SessionId} {m.MessageType} {m.Content}");
        foreach (var k in await db.Knowledge.AsNoTracking().OrderBy(k => k.Id).ToListAsync())
            text.AppendLine($"K {k.Id} {k.Title} {k.Content} {k.IsActive} {k.UpdatedAt.UtcTicks}");
        foreach (var a in await db.AgentAnalytics.AsNoTracking().OrderBy(a => a.Id).ToListAsync())
            text.AppendLine($"A {a.Id} {a.ConversationsHandled}");
        foreach (var r in await db.EscalationRules.AsNoTracking().OrderBy(r => r.Id).ToListAsync())
            text.AppendLine($"R {r.Id} {r.RuleName} {r.PriorityLevel} {r.IsActive} {r.UpdatedAt.UtcTicks}");
        return text.ToString();
    }
}
