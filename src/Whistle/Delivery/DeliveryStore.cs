using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Whistle.Data;

namespace Whistle.Delivery;

/// <summary>
/// The outbox's hot paths in SQL: writing a fan-out's rows in bulk inside the caller's
/// transaction (PostgreSQL binary COPY; SQLite one prepared statement), and claiming a batch
/// with a lease (PostgreSQL FOR UPDATE SKIP LOCKED, so several processes share the work).
/// </summary>
public static class DeliveryStore
{
    /// <summary>Inserts one pending row per subscriber, in the given (nearest-first) order, in the current transaction.</summary>
    public static async Task EnqueueAsync(WhistleDb db, Guid alertId, int priority, IReadOnlyList<long> subscriberIds,
        DateTimeOffset now, CancellationToken ct = default)
    {
        var tx = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Deliveries are written in the transaction that sends the alert.");
        switch (db.Database.GetDbConnection())
        {
            case NpgsqlConnection pg:
            {
                await using var copy = await pg.BeginBinaryImportAsync(
                    """COPY "Deliveries" ("AlertId", "SubscriberId", "Priority", "State", "Attempts", "NextAttemptAt") FROM STDIN (FORMAT BINARY)""", ct);
                foreach (var id in subscriberIds)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(alertId, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(id, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(priority, NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync((int)DeliveryState.Pending, NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync(0, NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                }
                await copy.CompleteAsync(ct);
                break;
            }
            case SqliteConnection sqlite:
            {
                using var cmd = sqlite.CreateCommand();
                cmd.Transaction = (SqliteTransaction)tx;
                cmd.CommandText = """
                    INSERT INTO "Deliveries" ("AlertId", "SubscriberId", "Priority", "State", "Attempts", "NextAttemptAt")
                    VALUES ($alert, $sub, $priority, 0, 0, $next)
                    """;
                cmd.Parameters.AddWithValue("$alert", SqliteGuid(alertId));
                var sub = cmd.Parameters.Add("$sub", SqliteType.Integer);
                cmd.Parameters.AddWithValue("$priority", priority);
                cmd.Parameters.AddWithValue("$next", now.ToUnixTimeMilliseconds());
                cmd.Prepare();
                foreach (var id in subscriberIds)
                {
                    sub.Value = id;
                    cmd.ExecuteNonQuery();
                }
                break;
            }
            default:
                throw new NotSupportedException("Unknown database provider.");
        }
    }

    /// <summary>EF Core keeps Guids in SQLite as upper-case text; raw SQL must write them the same way.</summary>
    public static string SqliteGuid(Guid id) => id.ToString().ToUpperInvariant();

    /// <summary>A time as the provider stores it (SQLite: Unix milliseconds).</summary>
    public static object Time(WhistleDb db, DateTimeOffset t) => db.IsPostgres ? t : t.ToUnixTimeMilliseconds();
    public static object Id(WhistleDb db, Guid id) => db.IsPostgres ? id : SqliteGuid(id);

    /// <summary>
    /// Leases up to <paramref name="max"/> due rows — retries first, then pending in priority and
    /// nearest-first order — so no other relay takes them until the lease runs out.
    /// </summary>
    public static async Task<List<Delivery>> ClaimAsync(WhistleDb db, int max, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        var claimed = new List<Delivery>();
        foreach (var state in new[] { DeliveryState.Failed, DeliveryState.Pending })
        {
            if (claimed.Count >= max) break;
            string skipLocked = db.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "";
            var sql = $$"""
                UPDATE "Deliveries" SET "LeaseUntil" = {0}
                WHERE "Id" IN (
                    SELECT "Id" FROM "Deliveries"
                    WHERE "State" = {1} AND "NextAttemptAt" <= {2} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {2})
                    ORDER BY "Priority", "Id"
                    LIMIT {3} {{skipLocked}})
                RETURNING *
                """;
            var rows = await db.Deliveries.FromSqlRaw(sql, Time(db, now + lease), (int)state, Time(db, now), max - claimed.Count)
                .AsNoTracking().ToListAsync(ct);
            claimed.AddRange(rows);
        }
        claimed.Sort((a, b) => a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : a.Id.CompareTo(b.Id));
        return claimed;
    }
}
