using System.CommandLine;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Accounts;
using Switchboard.Features.Organizations;

namespace Switchboard.Cli;

/// <summary>
/// The commands on the same executable as the server: <c>serve</c> (the default), <c>migrate</c>,
/// <c>users</c>, <c>eval</c> and <c>kb import</c>. Anything that is not a command goes to the web host (<c>--urls</c>, configuration).
/// </summary>
public static class SwitchboardCli
{
    private static readonly string[] Commands = ["migrate", "users", "eval", "kb", "analytics"];

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    /// <summary><c>serve</c> is optional: <c>switchboard serve --urls …</c> equals <c>switchboard --urls …</c>.</summary>
    public static string[] ServeArgs(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Switchboard: self-hosted AI customer-support chat. Without a command it serves on http://127.0.0.1:5080.")
        {
            // Configuration may follow a command, as for the server: `migrate --Database:Provider=Postgres`.
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(UsersCommand());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(KbImportCommand.Create());
        root.Subcommands.Add(AnalyticsCommand.Create());
        AllowConfiguration(root);
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (System.Data.Common.DbException e)
        {
            await Console.Error.WriteLineAsync($"error: the database refused: {e.Message}. Check ConnectionStrings and run `migrate`.");
            return 1;
        }
    }

    private static Command MigrateCommand()
    {
        var command = new Command("migrate", "Apply database migrations to the configured database (and, on PostgreSQL, provision the request-path role).");
        command.SetAction(async (r, ct) =>
        {
            await using var host = BuildHost(r);
            await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
            Console.WriteLine("Database is up to date.");
            return 0;
        });
        return command;
    }

    private static Command UsersCommand()
    {
        var users = new Command("users", "Manage accounts: create, set-password, list.");

        var email = new Option<string>("--email") { Description = "The account's email address.", Required = true };
        var password = new Option<string?>("--password") { Description = "The new password; a random one is generated and printed when omitted." };
        var name = new Option<string?>("--name") { Description = "Display name shown to customers." };
        var org = new Option<string?>("--org") { Description = "Slug of an organization to add the account to." };
        var role = new Option<string>("--role") { Description = "Role in --org: member, agent or admin.", DefaultValueFactory = _ => OrgRoles.Agent };
        role.AcceptOnlyFromAmong(OrgRoles.All);
        var platformAdmin = new Option<bool>("--platform-admin") { Description = "May manage global knowledge." };

        var create = new Command("create", "Create an account, optionally as a member of an organization.") { email, password, name, org, role, platformAdmin };
        create.SetAction(async (r, ct) =>
        {
            await using var host = await BuildMigratedHostAsync(r, ct);
            await using var scope = host.Services.CreateAsyncScope();
            var manager = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var db = scope.ServiceProvider.GetRequiredService<SystemDb>().CreateContext();
            await using var _ = db;
            Organization? organization = null;
            if (r.GetValue(org) is { } slug)
            {
                organization = await db.Organizations.SingleOrDefaultAsync(o => o.Slug == slug, ct)
                    ?? throw new InvalidOperationException($"No organization has the slug '{slug}'.");
            }
            var secret = r.GetValue(password) ?? UserAccounts.NewPassword();
            var (user, errors) = await UserAccounts.CreateAsync(manager, r.GetValue(email)!, r.GetValue(name) ?? r.GetValue(email)!, secret, r.GetValue(platformAdmin));
            if (user is null)
            {
                throw new InvalidOperationException(string.Join(" ", errors!.SelectMany(e => e.Value)));
            }
            if (organization is not null)
            {
                db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = organization.Id, UserId = user.Id, Role = r.GetValue(role)! });
                await db.SaveChangesAsync(ct);
            }
            Console.WriteLine($"Created {user.Email}{(organization is null ? "" : $" as {r.GetValue(role)} of {organization.Slug}")}.");
            if (r.GetValue(password) is null) Console.WriteLine($"Password (shown once): {secret}");
            return 0;
        });

        var setPassword = new Command("set-password", "Set a new password and lift any lockout.") { email, password };
        setPassword.SetAction(async (r, ct) =>
        {
            await using var host = await BuildMigratedHostAsync(r, ct);
            await using var scope = host.Services.CreateAsyncScope();
            var manager = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var user = await manager.FindByEmailAsync(r.GetValue(email)!)
                ?? throw new InvalidOperationException($"No account has the email '{r.GetValue(email)}'. List them with `users list`.");
            var secret = r.GetValue(password) ?? UserAccounts.NewPassword();
            var token = await manager.GeneratePasswordResetTokenAsync(user);
            var result = await manager.ResetPasswordAsync(user, token, secret);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
            }
            await manager.SetLockoutEndDateAsync(user, null);
            await manager.ResetAccessFailedCountAsync(user);
            Console.WriteLine($"Password changed for {user.Email}.");
            if (r.GetValue(password) is null) Console.WriteLine($"New password (shown once): {secret}");
            return 0;
        });

        var list = new Command("list", "List accounts and their organizations.");
        list.SetAction(async (r, ct) =>
        {
            await using var host = await BuildMigratedHostAsync(r, ct);
            await using var db = host.Services.GetRequiredService<SystemDb>().CreateContext();
            var rows = await db.Users.AsNoTracking().OrderBy(u => u.Email)
                .Select(u => new { u.Email, u.IsPlatformAdmin, Orgs = db.OrganizationMembers.Where(m => m.UserId == u.Id).Select(m => m.Organization!.Slug + ":" + m.Role).ToList() })
                .ToListAsync(ct);
            foreach (var row in rows)
            {
                Console.WriteLine($"{row.Email,-40} {(row.IsPlatformAdmin ? "platform-admin " : "")}{string.Join(", ", row.Orgs)}");
            }
            return 0;
        });

        users.Subcommands.Add(create);
        users.Subcommands.Add(setPassword);
        users.Subcommands.Add(list);
        return users;
    }

    private static void AllowConfiguration(Command command)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        foreach (var sub in command.Subcommands) AllowConfiguration(sub);
    }

    private static WebApplication BuildHost(ParseResult parsed) => BuildHost([.. parsed.UnmatchedTokens]);

    private static Task<WebApplication> BuildMigratedHostAsync(ParseResult parsed, CancellationToken ct) =>
        BuildMigratedHostAsync([.. parsed.UnmatchedTokens], ct);

    /// <summary>
    /// The CLI shares the server's configuration and services but never listens. <paramref name="quiet"/>: only warnings and
    /// errors besides the command's own output (progress and summary), for commands that draw a progress bar.
    /// </summary>
    internal static WebApplication BuildHost(string[] args, bool quiet = false)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (!quiet) builder.Logging.AddFilter("Switchboard", LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None);
        builder.AddSwitchboardServices();
        return builder.Build();
    }

    /// <summary>As <see cref="BuildHost(string[], bool)"/>, migrated first when Database:MigrateOnStartup: commands work on a brand-new database too, as `serve` would.</summary>
    internal static async Task<WebApplication> BuildMigratedHostAsync(string[] args, CancellationToken ct, bool quiet = false)
    {
        var host = BuildHost(args, quiet);
        if (host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
        }
        return host;
    }
}
