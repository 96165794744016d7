using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Switchboard.Tenancy;

namespace Switchboard.Components;

/// <summary>
/// Runs one piece of console work the way the server runs one HTTP request: in a fresh DI scope
/// whose <see cref="CurrentPrincipal"/> the same <see cref="IClaimsTransformation"/> fills from the
/// database, with a fresh <c>AppDbContext</c>.
/// </summary>
/// <remarks>
/// A circuit is one long-lived DI scope that no request pipeline runs through, so its own
/// CurrentPrincipal stays empty and its DbContext would live (and track entities) for as long as
/// the browser tab. Filling the circuit's principal once at start would also keep a demoted or
/// removed admin's rights until they reload. A scope per action gives each click the guarantees a
/// request has: roles read from the database now, both walls (query filters and, on PostgreSQL,
/// the connection's row-level-security settings) scoped to this user, and a short-lived context.
/// The user id comes from the circuit's authentication state, which the cookie established.
/// </remarks>
public sealed class ConsoleScope(AuthenticationStateProvider authentication, IServiceScopeFactory scopes)
{
    public async Task<T> RunAsync<T>(Func<IServiceProvider, CurrentPrincipal, Task<T>> work)
    {
        var state = await authentication.GetAuthenticationStateAsync();
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        foreach (var transformation in services.GetServices<IClaimsTransformation>())
        {
            await transformation.TransformAsync(state.User);
        }
        return await work(services, services.GetRequiredService<CurrentPrincipal>());
    }

    public Task RunAsync(Func<IServiceProvider, CurrentPrincipal, Task> work) =>
        RunAsync<bool>(async (services, principal) =>
        {
            await work(services, principal);
            return true;
        });
}
