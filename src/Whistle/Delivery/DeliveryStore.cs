using System.Buffers.Binary;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Whistle.Data;

namespace Whistle.Delivery;

/// <summary>
/// The outbox's hot paths in SQL. A fan-out is written as one row per recipient in subscriber-id
/// order (PostgreSQL binary COPY; SQLite one INSERT … SELECT over json_each) plus one
/// <see cref="Fanout"/> row holding the nearest-first order, all in the caller's transaction.
/// Claiming leases a batch: expired leases first, then due retries and direct messages, then the
/// next slice of the most urgent fan-out (PostgreSQL row locks / FOR UPDATE SKIP LOCKED let
/// several processes share the work without taking the same rows).
/// </summary>
public static class DeliveryStore
{
    // Partial-index predicates; the claim queries repeat them word for word so the planners use them.
    public const string DueFilter = "\"State\" = 2";
    public const string LeasedFilter = "\"State\" = 0 AND \"LeaseUntil\" IS NOT NULL";

    /// <summary>Writes one pending row per recipient and the fan-out's order, in the current transaction.</summary>
    public static async Task EnqueueAsync(WhistleDb db, Alerts.Alert alert, int priority, IReadOnlyList<long> nearestFirst,
        DateTimeOffset now, CancellationToken ct = default)
    {
        var tx = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Deliveries are written in the transaction that sends the alert.");
        var order = new byte[nearestFirst.Count * 8];
        for (int i = 0; i < nearestFirst.Count; i++) BinaryPrimitives.WriteInt64LittleEndian(order.AsSpan(i * 8), nearestFirst[i]);
        var sorted = nearestFirst.ToArray();
        Array.Sort(sorted);

        switch (db.Database.GetDbConnection())
        {
            case NpgsqlConnection pg:
            {
                await using var copy = await pg.BeginBinaryImportAsync(
                    """COPY "Deliveries" ("AlertSeq", "SubscriberId", "Priority", "State", "Attempts") FROM STDIN (FORMAT BINARY)""", ct);
                // Synchronous writes: they fill Npgsql's buffer in memory and flush as it fills; an await per field costs more than the row.
                foreach (var id in sorted)
                {
                    copy.StartRow();
                    copy.Write(alert.Seq, NpgsqlDbType.Bigint);
                    copy.Write(id, NpgsqlDbType.Bigint);
                    copy.Write(priority, NpgsqlDbType.Integer);
                    copy.Write((int)DeliveryState.Pending, NpgsqlDbType.Integer);
                    copy.Write(0, NpgsqlDbType.Integer);
                }
                await copy.CompleteAsync(ct);
                break;
            }
            case SqliteConnection sqlite:
            {
                // One statement per chunk: SQLite expands the id array itself; a statement per row costs ~10 µs in ADO.NET.
                using var cmd = sqlite.CreateCommand();
                cmd.Transaction = (SqliteTransaction)tx;
                cmd.CommandText = """
                    INSERT INTO "Deliveries" ("AlertSeq", "SubscriberId", "Priority", "State", "Attempts")
                    SELECT $alert, "value", $priority, 0, 0 FROM json_each($ids)
                    """;
                cmd.Parameters.AddWithValue("$alert", alert.Seq);
                cmd.Parameters.AddWithValue("$priority", priority);
                var ids = cmd.Parameters.Add("$ids", SqliteType.Text);
                const int chunk = 250_000;
                var buffer = new char[Math.Min(sorted.Length, chunk) * 21 + 2];
                for (int start = 0; start < sorted.Length; start += chunk)
                {
                    int end = Math.Min(sorted.Length, start + chunk), at = 0;
                    buffer[at++] = '[';
                    for (int i = start; i < end; i++)
                    {
                        if (i > start) buffer[at++] = ',';
                        sorted[i].TryFormat(buffer.AsSpan(at), out int written, default, System.Globalization.CultureInfo.InvariantCulture);
                        at += written;
                    }
                    buffer[at++] = ']';
                    ids.Value = new string(buffer, 0, at);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                break;
            }
            default:
                throw new NotSupportedException("Unknown database provider.");
        }
        db.Fanouts.Add(new Fanout { AlertId = alert.Id, AlertSeq = alert.Seq, Priority = priority, Recipients = order, Total = nearestFirst.Count, CreatedAt = now });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>EF Core keeps Guids in SQLite as upper-case text; raw SQL must write them the same way.</summary>
    public static string SqliteGuid(Guid id) => id.ToString().ToUpperInvariant();

    /// <summary>A time as the provider stores it (SQLite: Unix milliseconds).</summary>
    public static object Time(WhistleDb db, DateTimeOffset t) => db.IsPostgres ? t : t.ToUnixTimeMilliseconds();
    public static object Id(WhistleDb db, Guid id) => db.IsPostgres ? id : SqliteGuid(id);

    /// <summary>The subscriber ids of a fan-out, nearest first.</summary>
    public static long[] Order(byte[] recipients)
    {
        var ids = new long[recipients.Length / 8];
        for (int i = 0; i < ids.Length; i++) ids[i] = BinaryPrimitives.ReadInt64LittleEndian(recipients.AsSpan(i * 8));
        return ids;
    }

    /// <summary>
    /// Leases up to <paramref name="max"/> pieces of work so no other relay takes them until the lease
    /// runs out, and returns them in sending order: cancels, then direct messages, then alerts, each
    /// fan-out nearest first.
    /// </summary>
    // The SQL text interpolates only this class's constants (index predicates, a locking clause); every value is a parameter.
#pragma warning disable EF1002
    public static async Task<List<Work>> ClaimAsync(WhistleDb db, int max, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        var claimed = new List<Work>();
        string skipLocked = db.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "";
        var leaseUntil = Time(db, now + lease);
        var nowDb = Time(db, now);
        static Work Of(Delivery d) => new(d.AlertSeq, null, d.SubscriberId, d.Priority, d.Attempts, null);

        // 1. Leases that ran out (a relay died mid-batch), then retries that are due.
        foreach (var due in new[] { $"{LeasedFilter} AND \"LeaseUntil\" < {{1}}", $"{DueFilter} AND \"NextAttemptAt\" <= {{1}} AND (\"LeaseUntil\" IS NULL OR \"LeaseUntil\" < {{1}})" })
        {
            if (claimed.Count >= max) break;
            var rows = await db.Deliveries.FromSqlRaw($$"""
                UPDATE "Deliveries" SET "LeaseUntil" = {0}
                WHERE ("AlertSeq", "SubscriberId") IN (
                    SELECT "AlertSeq", "SubscriberId" FROM "Deliveries" WHERE {{due}} LIMIT {2} {{skipLocked}})
                RETURNING *
                """, leaseUntil, nowDb, max - claimed.Count).AsNoTracking().ToListAsync(ct);
            claimed.AddRange(rows.Select(Of));
        }

        // 2. Direct messages that are due (new, retried, or left under a lapsed lease).
        if (claimed.Count < max)
        {
            var messages = await db.Messages.FromSqlRaw($$"""
                UPDATE "Messages" SET "LeaseUntil" = {0}
                WHERE "Id" IN (SELECT "Id" FROM "Messages" WHERE "State" IN (0, 2) AND "NextAttemptAt" <= {1}
                               AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {1}) ORDER BY "NextAttemptAt" LIMIT {2} {{skipLocked}})
                RETURNING *
                """, leaseUntil, nowDb, max - claimed.Count).AsNoTracking().ToListAsync(ct);
            claimed.AddRange(messages.Select(m => new Work(null, m.Id, m.SubscriberId, Delivery.PriorityDirect, m.Attempts, m.Body)));
        }

        // 3. The next slice of the most urgent fan-out, cursor and leases moved in one transaction.
        var rank = new Dictionary<long, int>();
        while (claimed.Count < max)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // FOR UPDATE (waiting, not skipping): relays take turns on one fan-out's cursor, each a different slice.
            var fanout = (await db.Fanouts.FromSqlRaw($"""
                SELECT * FROM "Fanouts" WHERE "Cursor" < "Total" ORDER BY "Priority", "CreatedAt" LIMIT 1 {(db.IsPostgres ? "FOR UPDATE" : "")}
                """).AsNoTracking().ToListAsync(ct)).FirstOrDefault();
            if (fanout is null) break;
            int take = Math.Min(max - claimed.Count, fanout.Total - fanout.Cursor);
            var slice = await ReadSliceAsync(db, fanout.AlertId, fanout.Cursor, take, ct);
            await db.Fanouts.Where(f => f.AlertId == fanout.AlertId)
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.Cursor, fanout.Cursor + take), ct);
            var ids = db.IsPostgres ? "SELECT unnest({2}::bigint[])" : "SELECT \"value\" FROM json_each({2})";
            var rows = await db.Deliveries.FromSqlRaw($$"""
                UPDATE "Deliveries" SET "LeaseUntil" = {0}
                WHERE "AlertSeq" = {1} AND "SubscriberId" IN ({{ids}}) AND "State" = 0
                RETURNING *
                """, leaseUntil, fanout.AlertSeq, db.IsPostgres ? slice : "[" + string.Join(',', slice) + "]")
                .AsNoTracking().ToListAsync(ct);
            await tx.CommitAsync(ct);
            for (int i = 0; i < slice.Length; i++) rank[slice[i]] = i;
            claimed.AddRange(rows.OrderBy(r => rank.GetValueOrDefault(r.SubscriberId)).Select(Of));
            rank.Clear();
        }
        return claimed.OrderBy(w => w.Priority).ToList(); // stable: keeps each fan-out's order
    }
#pragma warning restore EF1002

    private static async Task<long[]> ReadSliceAsync(WhistleDb db, Guid alertId, int from, int count, CancellationToken ct)
    {
        var conn = db.Database.GetDbConnection();
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        cmd.CommandText = db.IsPostgres
            ? """SELECT substring("Recipients" from @from for @len) FROM "Fanouts" WHERE "AlertId" = @id"""
            : """SELECT substr("Recipients", @from, @len) FROM "Fanouts" WHERE "AlertId" = @id""";
        AddParam(cmd, "@from", from * 8 + 1);
        AddParam(cmd, "@len", count * 8);
        AddParam(cmd, "@id", Id(db, alertId));
        var bytes = (byte[])(await cmd.ExecuteScalarAsync(ct))!;
        return Order(bytes);
    }

    private static void AddParam(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}

/// <summary>A claimed piece of work: an alert delivery (AlertSeq) or a direct message (MessageId).</summary>
public sealed record Work(long? AlertSeq, long? MessageId, long SubscriberId, int Priority, int Attempts, string? Body)
{
    public string Reference => MessageId is { } m ? $"m{m}" : $"a{AlertSeq}-{SubscriberId}";
}
