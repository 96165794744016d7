using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Cli;

/// <summary>
/// What a newcomer does: clone, run the README's command, get a healthy server with a demo
/// organization, then change the printed password with the CLI. Nothing but the .NET SDK is used.
/// </summary>
public sealed partial class FreshCloneTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task CloneAndDotnetRunServesHealthzWithDemoDataAndTheCliManagesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var clone = Directory.CreateTempSubdirectory("switchboard-clone-").FullName;
        try
        {
            var (cloned, cloneOutput) = await Processes.RunAsync("git", $"clone -q \"{Processes.RepositoryRoot()}\" \"{clone}\"", clone, TimeSpan.FromMinutes(1));
            Assert.True(cloned == 0, cloneOutput);

            var port = Processes.FreePort();
            using var server = Processes.Start("dotnet", $"run --project src/Switchboard -- --urls http://127.0.0.1:{port}", clone, out var log);
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                var status = await WaitForHealthAsync(http, server, ct);
                Assert.True(status == HttpStatusCode.OK, $"/healthz answered {status}. Server log:\n{log}");
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", ct)).StatusCode);
                Assert.True(File.Exists(Path.Combine(clone, "src/Switchboard/data/switchboard.db")), "the SQLite database is under src/Switchboard/data");

                var credentials = AdminPassword().Match(log.ToString());
                Assert.True(credentials.Success, $"the demo admin's password is printed once:\n{log}");
                var token = await http.PostAsync("/api/auth/token", Json($$"""{"email":"admin@northwind.test","password":"{{credentials.Groups[1].Value}}"}"""), ct);
                Assert.Equal(HttpStatusCode.OK, token.StatusCode);
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(ct);
            }

            var (changed, changeOutput) = await Processes.RunAsync("dotnet",
                "run --no-build --project src/Switchboard -- users set-password --email admin@northwind.test --password a-brand-new-password", clone, BuildTimeout);
            Assert.True(changed == 0, changeOutput);
            Assert.Contains("Password changed for admin@northwind.test", changeOutput, StringComparison.Ordinal);

            var (listed, listOutput) = await Processes.RunAsync("dotnet", "run --no-build --project src/Switchboard -- users list", clone, BuildTimeout);
            Assert.True(listed == 0, listOutput);
            Assert.Matches(@"admin@northwind\.test\s+northwind:admin", listOutput);
            Assert.Matches(@"agent@northwind\.test\s+northwind:agent", listOutput);

            var (unknown, unknownOutput) = await Processes.RunAsync("dotnet", "run --no-build --project src/Switchboard -- users set-password --email nobody@northwind.test", clone, BuildTimeout);
            Assert.Equal(1, unknown);
            Assert.Contains("No account has the email", unknownOutput, StringComparison.Ordinal);

            var (migrated, migrateOutput) = await Processes.RunAsync("dotnet", "run --no-build --project src/Switchboard -- migrate", clone, BuildTimeout);
            Assert.True(migrated == 0, migrateOutput);
            Assert.Contains("Database is up to date", migrateOutput, StringComparison.Ordinal);

            // eval with paths relative to where it is typed (the repository root), not to the project folder.
            const string fixtures = "tests/Switchboard.Tests/Ai/Fixtures/";
            var (evaluated, evalOutput) = await Processes.RunAsync("dotnet",
                $"run --no-build --project src/Switchboard -- eval --articles {fixtures}eval-articles.jsonl --questions {fixtures}eval-questions.jsonl --json eval.json",
                clone, BuildTimeout);
            Assert.True(evaluated == 0, evalOutput);
            Assert.StartsWith("eval: ", evalOutput.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(clone, "eval.json")), evalOutput);
        }
        finally
        {
            try { Directory.Delete(clone, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<HttpStatusCode?> WaitForHealthAsync(HttpClient http, System.Diagnostics.Process server, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + BuildTimeout;
        while (DateTime.UtcNow < deadline && !server.HasExited)
        {
            try
            {
                return (await http.GetAsync("/healthz", ct)).StatusCode;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(500, ct);
            }
        }
        return null;
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    [GeneratedRegex(@"admin: admin@northwind\.test\s+password: (\S+)")]
    private static partial Regex AdminPassword();
}
