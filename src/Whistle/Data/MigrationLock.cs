using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Whistle.Data;

/// <summary>
/// On PostgreSQL, a session advisory lock held around everything a starting node writes (migrations, the sealing
/// upgrades, the template and admin seeding): nodes starting together take turns, the second finds the work done.
/// Its own connection, so the lock outlives the transactions EF Core opens and closes meanwhile. SQLite is one file
/// used by one process: nothing to take. Decision 0048.
/// </summary>
public sealed class MigrationLock : IAsyncDisposable
{
    /// <summary>The first 8 bytes of SHA-256("whistle-migrations"), big-endian: the same on every node of every version.</summary>
    public static readonly long Key = BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData("whistle-migrations"u8));

    private NpgsqlConnection? _connection;

    private MigrationLock(NpgsqlConnection? connection) => _connection = connection;

    public static async Task<MigrationLock> AcquireAsync(WhistleDb db, ILogger log, CancellationToken ct = default)
    {
        if (!db.IsPostgres) return new MigrationLock(null);
        var connection = new NpgsqlConnection(db.Database.GetConnectionString());
        try
        {
            await connection.OpenAsync(ct);
            await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
            {
                tryLock.Parameters.AddWithValue("key", Key);
                if (await tryLock.ExecuteScalarAsync(ct) is true) return new MigrationLock(connection);
            }
            log.LogInformation("Waiting for another node's migration to finish (PostgreSQL advisory lock {Key})", Key);
            var started = DateTime.UtcNow;
            // Blocks in the server until the other node unlocks (or its session ends): no polling, no timeout —
            // a long migration on a big database must not make the waiting node give up half-way.
            await using (var wait = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 })
            {
                wait.Parameters.AddWithValue("key", Key);
                await wait.ExecuteNonQueryAsync(ct);
            }
            log.LogInformation("The other node's migration is done after {Seconds:F1} s; going on", (DateTime.UtcNow - started).TotalSeconds);
            return new MigrationLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is not { } connection) return;
        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", Key);
            await unlock.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException) { /* the session ends below, and the server releases its locks with it */ }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}

/// <summary>
/// A node refuses a database a newer Whistle migrated: it would run old code over a schema it does not know (and a
/// later migration of its own could not be told apart from the newer one's). Migrations older than the newest this
/// build knows, but not known by name, are the ones squashed into a baseline since: they are not a newer schema.
/// </summary>
public static class SchemaGuard
{
    public static string? Check(IEnumerable<string> applied, IEnumerable<string> known)
    {
        var newestKnown = known.Max(StringComparer.Ordinal);
        if (newestKnown is null) return null;
        var newer = applied.Where(m => string.CompareOrdinal(m, newestKnown) > 0).Order(StringComparer.Ordinal).ToList();
        if (newer.Count == 0) return null;
        return $"The database was migrated by a newer Whistle: its newest migration is {newer[^1]}, and this build knows migrations " +
               $"up to {newestKnown}. Start the newer Whistle (every node on the same version), or restore a backup made by this one. " +
               "Nothing was changed.";
    }

    public static void Refuse(IEnumerable<string> applied, IEnumerable<string> known)
    {
        if (Check(applied, known) is { } message) throw new Privacy.StartupRefusal(message);
    }
}
