using Switchboard.Data;

namespace Switchboard.Features.Accounts;

/// <summary>The per-request trusted context that ASP.NET Core Identity's user store works on.</summary>
public sealed class AccountsDb(SystemDb systemDb) : IAsyncDisposable, IDisposable
{
    public AppDbContext Context { get; } = systemDb.CreateContext();

    public ValueTask DisposeAsync() => Context.DisposeAsync();

    public void Dispose() => Context.Dispose();
}
