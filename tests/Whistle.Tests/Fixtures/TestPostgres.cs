using Npgsql;
using Whistle.Tests.Api;

namespace Whistle.Tests.Fixtures;

/// <summary>
/// Databases of their own in the PostgreSQL cluster ./test.sh starts (WHISTLE_TEST_PG), for tests that start Whistle
/// as real processes (<see cref="WhistleApp"/> makes its own).
/// </summary>
public static class TestPostgres
{
    /// <summary>A new, empty PostgreSQL database in the test cluster; its connection string. <see cref="DropDatabase"/> it after.</summary>
    public static string NewDatabase()
    {
        var admin = Environment.GetEnvironmentVariable(WhistleApp.PgEnv)
            ?? throw new InvalidOperationException($"{WhistleApp.PgEnv} is not set: run ./test.sh, which starts a PostgreSQL cluster for these tests.");
        var name = "whistle_" + Guid.NewGuid().ToString("N")[..12];
        using (var conn = new NpgsqlConnection(admin))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            cmd.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
    }

    public static void DropDatabase(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var admin = Environment.GetEnvironmentVariable(WhistleApp.PgEnv)!;
        using var conn = new NpgsqlConnection(admin);
        conn.Open();
        using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {new NpgsqlConnectionStringBuilder(connectionString).Database} WITH (FORCE)", conn);
        cmd.ExecuteNonQuery();
    }
}
