using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data.Postgres;
using Switchboard.Data.Sqlite;
using Switchboard.Tenancy;

namespace Switchboard.Data;

public static class DataServiceCollectionExtensions
{
    public const string DefaultSqlitePath = "data/switchboard.db";

    /// <summary>
    /// Registers the request-path <see cref="AppDbContext"/> (as the current principal) and
    /// <see cref="SystemDb"/> for trusted work, on the configured provider.
    /// </summary>
    public static IServiceCollection AddSwitchboardData(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.Section))
            .Configure(o => ResolveConnectionStrings(o, configuration));

        services.AddScoped<CurrentPrincipal>();
        services.AddScoped<PrincipalConnectionInterceptor>();
        services.AddSingleton<SystemDb>();
        services.AddTransient<MigrationRunner>();

        var provider = configuration.GetValue(DatabaseOptions.Section + ":Provider", DatabaseProvider.Sqlite);
        if (provider == DatabaseProvider.Postgres)
        {
            services.AddDbContext<AppDbContext, PostgresAppDbContext>((sp, options) =>
            {
                var db = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
                ConfigurePostgres(options, db.RequestConnectionString);
                options.AddInterceptors(sp.GetRequiredService<PrincipalConnectionInterceptor>());
            });
        }
        else
        {
            services.AddDbContext<AppDbContext, SqliteAppDbContext>((sp, options) =>
                ConfigureSqlite(options, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.RequestConnectionString));
        }
        return services;
    }

    internal static void ConfigureSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString, o => o.MigrationsAssembly(typeof(SqliteAppDbContext).Assembly.FullName));

    internal static void ConfigurePostgres(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString);

    private static void ResolveConnectionStrings(DatabaseOptions o, IConfiguration configuration)
    {
        var request = configuration.GetConnectionString("Switchboard");
        var admin = configuration.GetConnectionString("SwitchboardAdmin");
        if (o.Provider == DatabaseProvider.Sqlite)
        {
            request ??= $"Data Source={DefaultSqlitePath}";
            var builder = new SqliteConnectionStringBuilder(request) { ForeignKeys = true };
            o.RequestConnectionString = builder.ConnectionString;
            o.AdminConnectionString = admin is null ? builder.ConnectionString
                : new SqliteConnectionStringBuilder(admin) { ForeignKeys = true }.ConnectionString;
        }
        else
        {
            // Never fall back from one to the other: the request path must not run as the owner.
            o.RequestConnectionString = request ?? "";
            o.AdminConnectionString = admin ?? "";
        }
    }
}
