using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Privacy;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 16 §1: nodes starting together on one PostgreSQL database take turns under an advisory lock — one migration
/// history, the network seeded once — and a node waits while another migrates. Decision 0048.
/// </summary>
public sealed class MigrationLockTests
{
    [Fact]
    public async Task Two_nodes_starting_together_on_one_fresh_database_both_come_up_with_one_history_and_everything_seeded_once()
    {
        var cs = TestPostgres.NewDatabase();
        try
        {
            var shared = new Dictionary<string, string?>
            {
                ["Whistle:Encryption:Keys"] = KeyRing.CreateNew().ToJson(),
                ["Whistle:Database:Provider"] = "postgres",
                ["Whistle:Database:ConnectionString"] = cs,
                ["Whistle:Bootstrap:AdminEmail"] = "first-admin@network.test",
                ["Whistle:Bootstrap:AdminPassword"] = IdentitySetup.GeneratePassword(),
            };
            using var a = new CustomApp(new(shared));
            using var b = new CustomApp(new(shared));
            // Both start at once (the demo network is seeded too: zones, a staff member per role, an incident with evidence).
            await Task.WhenAll(Task.Run(() => a.Services), Task.Run(() => b.Services));
            Assert.True((await a.CreateClient().GetAsync("/healthz")).IsSuccessStatusCode);
            Assert.True((await b.CreateClient().GetAsync("/healthz")).IsSuccessStatusCode);

            await using var scope = a.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
            Assert.Equal(1, await db.Network.CountAsync());
            Assert.Equal(Whistle.Alerts.DefaultTemplates.All().Count(), await db.Templates.CountAsync());
            Assert.Equal(Whistle.Network.DemoNetwork.Zones().Count(), await db.Zones.CountAsync());
            Assert.Equal(1, await db.Users.CountAsync(u => u.Email == "first-admin@network.test"));
            Assert.Equal(Roles.All.Length + 1, await db.Users.CountAsync());
            Assert.Equal(1, await db.Incidents.CountAsync());
        }
        finally
        {
            TestPostgres.DropDatabase(cs);
        }
    }

    [Fact]
    public async Task A_node_waits_while_another_holds_the_migration_lock_and_starts_when_it_is_released()
    {
        var cs = TestPostgres.NewDatabase();
        try
        {
            await using var holder = new NpgsqlConnection(cs);
            await holder.OpenAsync();
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLock.Key})", holder)) await take.ExecuteNonQueryAsync();

            using var node = new DataOpsProcess.Server(DataOpsProcess.Env(Directory.CreateTempSubdirectory("whistle-lock-").FullName, cs));
            await WhistleApp.EventuallyAsync(() => Task.FromResult(node.Log),
                log => log.Contains("waiting for another node's migration", StringComparison.OrdinalIgnoreCase) || node.HasExited,
                "the node to wait for the lock", timeoutMs: 90_000);
            Assert.False(node.HasExited, node.Log);
            // Waiting: not serving, and nothing migrated under the other node's feet.
            Assert.False(await node.AnswersAsync());
            Assert.Equal(0, DataOpsProcess.TableCount(cs));

            await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLock.Key})", holder)) await release.ExecuteNonQueryAsync();
            await WhistleApp.EventuallyAsync(async () => node.HasExited || await node.AnswersAsync(), done => done, "the node to start", timeoutMs: 90_000);
            Assert.False(node.HasExited, node.Log);
            Assert.Contains("migration is done", node.Log);
            Assert.True(DataOpsProcess.TableCount(cs) > 0);
        }
        finally
        {
            TestPostgres.DropDatabase(cs);
        }
    }
}

/// <summary>
/// A database a newer Whistle migrated: the node refuses with exit 3 and a message naming both migrations, and
/// writes nothing (no migration, no seeding).
/// </summary>
public abstract class SchemaGuardProcessTests(Db db)
{
    private const string Future = "29991231235959_FromANewerWhistle";

    [Fact]
    public async Task A_database_a_newer_Whistle_migrated_refuses_the_start_with_exit_3_naming_both_migrations_and_nothing_changes()
    {
        var dataDir = Directory.CreateTempSubdirectory("whistle-guard-").FullName;
        var cs = db == Db.Postgres ? TestPostgres.NewDatabase() : null;
        try
        {
            var settings = new Dictionary<string, string?> { ["Whistle:DataDir"] = dataDir };
            if (cs is not null)
            {
                settings["Whistle:Database:Provider"] = "postgres";
                settings["Whistle:Database:ConnectionString"] = cs;
            }
            string newestKnown;
            using (var app = new CustomApp(settings))
            {
                await using var scope = app.Services.CreateAsyncScope();
                var wdb = scope.ServiceProvider.GetRequiredService<WhistleDb>();
                newestKnown = wdb.Database.GetMigrations().Max(StringComparer.Ordinal)!;
                await wdb.Database.ExecuteSqlRawAsync(
                    $"INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ('{Future}', '99.0.0')");
                // One template gone: a start that went on seeding would put it back.
                var first = await wdb.Templates.MinAsync(t => t.Id);
                await wdb.Templates.Where(t => t.Id == first).ExecuteDeleteAsync();
            }
            SqliteConnection.ClearAllPools();
            var before = Count(dataDir, cs);

            var run = await DataOpsProcess.RunAsync(DataOpsProcess.Env(dataDir, cs), "--urls", $"http://127.0.0.1:{CustomApp.FreePort()}");
            Assert.True(run.ExitCode == 3, run.All);
            Assert.Contains("Whistle will not start", run.Err);
            Assert.Contains(Future, run.Err);
            Assert.Contains(newestKnown, run.Err);
            Assert.Equal(before, Count(dataDir, cs));
        }
        finally
        {
            if (cs is not null) TestPostgres.DropDatabase(cs);
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>History rows and templates, read without Whistle.</summary>
    private static (long History, long Templates) Count(string dataDir, string? cs)
    {
        using System.Data.Common.DbConnection conn = cs is null
            ? new SqliteConnection($"Data Source={Path.Combine(dataDir, "whistle.db")};Pooling=False")
            : new NpgsqlConnection(cs);
        conn.Open();
        long Scalar(string sql)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToInt64(cmd.ExecuteScalar());
        }
        return (Scalar("SELECT COUNT(*) FROM \"__EFMigrationsHistory\""), Scalar("SELECT COUNT(*) FROM \"Templates\""));
    }
}

public sealed class SchemaGuardProcessTestsSqlite() : SchemaGuardProcessTests(Db.Sqlite);

public sealed class SchemaGuardProcessTestsPostgres() : SchemaGuardProcessTests(Db.Postgres);
