using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Whistle.Data;

/// <summary>
/// The SQLite migrations up to issue 11 (Initial … Hardening) are one migration now, <c>Baseline</c>: their table
/// rebuilds switched foreign keys off outside a transaction, and EF Core warned about it on every new database. A
/// database those migrations made already has the Baseline's schema, so it adopts Baseline (one history row)
/// instead of running it; later migrations then run as usual. A database stopped half-way through the old ones
/// cannot be adopted and is refused with a plain message, never migrated into a wrong shape.
/// </summary>
public static class SqliteBaseline
{
    public const string Id = "20261201172257_Baseline";
    public const string ProductVersion = "10.0.0";
    /// <summary>The last of the old migrations: a database with it has exactly the Baseline's schema.</summary>
    public const string LastOld = "20261201172256_Hardening";

    public static async Task AdoptAsync(WhistleDb db, CancellationToken ct = default)
    {
        if (db.IsPostgres) return;
        var conn = (SqliteConnection)db.Database.GetDbConnection();
        // A new database has nothing to adopt; opening it here would create the file before EF Core looks for it.
        var file = new SqliteConnectionStringBuilder(conn.ConnectionString).DataSource;
        if (string.IsNullOrEmpty(file) || file == ":memory:" || !File.Exists(file)) return;
        bool close = conn.State != System.Data.ConnectionState.Open;
        if (close) await conn.OpenAsync(ct);
        try
        {
            if (!await ExistsAsync(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsHistory'", ct)) return;
            if (await ExistsAsync(conn, $"SELECT 1 FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = '{Id}'", ct)) return;
            if (!await ExistsAsync(conn, "SELECT 1 FROM \"__EFMigrationsHistory\"", ct)) return;
            if (!await ExistsAsync(conn, $"SELECT 1 FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = '{LastOld}'", ct))
                throw new InvalidOperationException(
                    "This SQLite database was made by a Whistle older than issue 11 and stopped before its last migration; " +
                    "start it once with that version to finish, or export what you need and start a new data directory.");
            await using var insert = conn.CreateCommand();
            insert.CommandText = "INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ($id, $v)";
            insert.Parameters.AddWithValue("$id", Id);
            insert.Parameters.AddWithValue("$v", ProductVersion);
            await insert.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            if (close) await conn.CloseAsync();
        }
    }

    private static async Task<bool> ExistsAsync(SqliteConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }
}
