using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Switchboard.Tenancy;

/// <summary>
/// Names the request's principal to PostgreSQL on every connection the request opens, for the
/// row-level-security policies. Both settings are always written (empty when absent), so a pooled
/// connection never carries a previous request's principal even before Npgsql's reset runs.
/// </summary>
public sealed class PrincipalConnectionInterceptor(CurrentPrincipal principal) : DbConnectionInterceptor
{
    private const string Sql = "SELECT set_config('app.user_id', @user_id, false), set_config('app.session_token', @session_token, false)";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = CreateCommand(connection);
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = CreateCommand(connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private DbCommand CreateCommand(DbConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = Sql;
        AddParameter(command, "user_id", principal.UserId?.ToString() ?? "");
        AddParameter(command, "session_token", principal.SessionToken ?? "");
        return command;
    }

    private static void AddParameter(DbCommand command, string name, string value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
