using System.Buffers.Binary;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Whistle.Data;
using Whistle.Subscriptions;

namespace Whistle.Delivery;

/// <summary>
/// The outbox's hot paths in SQL. Sending an alert writes, in the caller's transaction, only one
/// <see cref="Fanout"/> row per channel and its nearest-first order (<see cref="FanoutOrder"/>, 8 bytes a
/// recipient) — never a row per recipient, so the commit costs the same for a block as for a city.
/// The delivery rows are created slice by slice as a lane claims them: the claim transaction that moves
/// a fan-out's cursor inserts the slice's rows already leased (INSERT … SELECT, ON CONFLICT DO NOTHING on
/// the (alert, subscriber) key, so a slice raced or repeated creates each row once). From the claim on a
/// row exists, and the lease/retry path covers it exactly as before. Claiming leases a batch: cancels,
/// expired leases, due retries and direct messages, then the next slice of the most urgent fan-out
/// (PostgreSQL row locks / FOR UPDATE SKIP LOCKED let several processes share the work).
/// </summary>
public static class DeliveryStore
{
    // Partial-index predicates; the claim queries repeat them word for word so the planners use them.
    public const string DueFilter = "\"State\" = 2";
    public const string LeasedFilter = "\"State\" = 0 AND \"LeaseUntil\" IS NOT NULL";

    /// <summary>
    /// Writes, per channel, the fan-out and its nearest-first order in the current transaction. No delivery
    /// row is written here: a lane creates them as it claims each slice (<see cref="ClaimAsync"/>).
    /// </summary>
    public static async Task EnqueueAsync(WhistleDb db, Alerts.Alert alert, int priority, IReadOnlyList<Recipient> nearestFirst,
        DateTimeOffset now, CancellationToken ct = default)
    {
        _ = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Deliveries are written in the transaction that sends the alert.");
        // One nearest-first order per channel: each channel's lane goes through its own at its own pace.
        int channels = Enum.GetValues<SubscriberChannel>().Length;
        var counts = new int[channels];
        foreach (var r in nearestFirst) counts[(int)r.Channel]++;
        var orders = new byte[channels][];
        var at = new int[channels];
        for (int c = 0; c < channels; c++) if (counts[c] > 0) orders[c] = GC.AllocateUninitializedArray<byte>(counts[c] * 8);
        foreach (var r in nearestFirst)
        {
            int c = (int)r.Channel;
            BinaryPrimitives.WriteInt64LittleEndian(orders[c].AsSpan(at[c]), r.SubscriberId);
            at[c] += 8;
        }
        for (int c = 0; c < channels; c++)
        {
            if (counts[c] == 0) continue;
            var channel = (SubscriberChannel)c;
            db.Fanouts.Add(new Fanout
            {
                AlertId = alert.Id, Channel = channel, AlertSeq = alert.Seq, Priority = priority, Total = counts[c], CreatedAt = now,
            });
            db.FanoutOrders.Add(new FanoutOrder { AlertId = alert.Id, Channel = channel, Recipients = orders[c] });
        }
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
    /// Leases up to <paramref name="max"/> pieces of work on one channel so no other relay takes them
    /// until the lease runs out, and returns them in sending order: cancels and retractions first,
    /// then leases that ran out and retries that are due, direct messages, and alerts — the alerts in
    /// flight sharing the batch in turn (the least recently served first), each fan-out nearest first.
    /// </summary>
    // The SQL text interpolates only this class's constants (index predicates, a locking clause); every value is a parameter.
#pragma warning disable EF1002
    public static async Task<List<Work>> ClaimAsync(WhistleDb db, SubscriberChannel channel, int max, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        var claimed = new List<Work>();
        string skipLocked = db.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "";
        var leaseUntil = Time(db, now + lease);
        var nowDb = Time(db, now);
        int ch = (int)channel;

        // 1. Cancels and retractions: people who got an alert hear first that it is over.
        await ClaimFanoutsAsync(db, channel, Delivery.PriorityCancel, max, claimed, now, leaseUntil, ct);

        // 2. Leases that ran out (a relay died mid-batch), then retries that are due.
        foreach (var due in new[] { $"{LeasedFilter} AND \"LeaseUntil\" < {{1}}", $"{DueFilter} AND \"NextAttemptAt\" <= {{1}} AND (\"LeaseUntil\" IS NULL OR \"LeaseUntil\" < {{1}})" })
        {
            if (claimed.Count >= max) break;
            var rows = await db.Deliveries.FromSqlRaw($$"""
                UPDATE "Deliveries" SET "LeaseUntil" = {0}
                WHERE ("AlertSeq", "SubscriberId") IN (
                    SELECT "AlertSeq", "SubscriberId" FROM "Deliveries" WHERE {{due}} AND "Channel" = {3} LIMIT {2} {{skipLocked}})
                RETURNING *
                """, leaseUntil, nowDb, max - claimed.Count, ch).AsNoTracking().ToListAsync(ct);
            claimed.AddRange(rows.OrderBy(r => r.Priority).Select(Of));
        }

        // 3. Direct messages that are due (new, retried, or left under a lapsed lease).
        if (claimed.Count < max)
        {
            var messages = await db.Messages.FromSqlRaw($$"""
                UPDATE "Messages" SET "LeaseUntil" = {0}
                WHERE "Id" IN (SELECT "Id" FROM "Messages" WHERE "State" IN (0, 2) AND "NextAttemptAt" <= {1} AND "Channel" = {3}
                               AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {1}) ORDER BY "NextAttemptAt" LIMIT {2} {{skipLocked}})
                RETURNING *
                """, leaseUntil, nowDb, max - claimed.Count, ch).AsNoTracking().ToListAsync(ct);
            claimed.AddRange(messages.Select(m => new Work(null, m.Id, m.SubscriberId, Delivery.PriorityDirect, m.Attempts, m.Body)));
        }

        // 4. Alerts and updates, in turn.
        await ClaimFanoutsAsync(db, channel, Delivery.PriorityAlert, max, claimed, now, leaseUntil, ct);
        return claimed;
    }

    private static Work Of(Delivery d) => new(d.AlertSeq, null, d.SubscriberId, d.Priority, d.Attempts, null);

    /// <summary>
    /// Slices of the fan-outs of one priority: cursor moved and the slice's delivery rows created, leased, in one
    /// transaction per slice.
    /// Several fan-outs in flight share the batch evenly — one never served first, then the least
    /// recently served — so one city-wide alert cannot hold back another.
    /// </summary>
    private static async Task ClaimFanoutsAsync(WhistleDb db, SubscriberChannel channel, int priority, int max, List<Work> claimed,
        DateTimeOffset now, object leaseUntil, CancellationToken ct)
    {
        if (claimed.Count >= max) return;
        int active = await db.Fanouts.CountAsync(f => f.Channel == channel && f.Priority == priority && f.Cursor < f.Total, ct);
        if (active == 0) return;
        int share = Math.Max(1, (max - claimed.Count + active - 1) / active);
        var rank = new Dictionary<long, int>();
        while (claimed.Count < max)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // FOR UPDATE (waiting, not skipping): relays take turns on one fan-out's cursor, each a different slice.
            var fanout = (await db.Fanouts.FromSqlRaw($$"""
                SELECT * FROM "Fanouts" WHERE "Channel" = {0} AND "Priority" = {1} AND "Cursor" < "Total"
                ORDER BY "ClaimedAt" IS NOT NULL, "ClaimedAt", "CreatedAt" LIMIT 1 {{(db.IsPostgres ? "FOR UPDATE" : "")}}
                """, (int)channel, priority).AsNoTracking().ToListAsync(ct)).FirstOrDefault();
            if (fanout is null) break;
            int take = Math.Min(Math.Min(share, max - claimed.Count), fanout.Total - fanout.Cursor);
            var slice = await ReadSliceAsync(db, fanout.AlertId, fanout.Channel, fanout.Cursor, take, ct);
            await db.Fanouts.Where(f => f.AlertId == fanout.AlertId && f.Channel == fanout.Channel)
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.Cursor, fanout.Cursor + take).SetProperty(f => f.ClaimedAt, now), ct);
            // The slice's rows are created here, already leased, in the transaction that moves the cursor: a crash
            // before the commit leaves neither, after it the lease covers them. A row that exists (a raced or
            // repeated slice) is left alone and not returned, so each subscriber is taken once.
            var rows = await db.Deliveries.FromSqlRaw(db.IsPostgres
                ? """
                  INSERT INTO "Deliveries" ("AlertSeq", "SubscriberId", "Channel", "Priority", "State", "Attempts", "LeaseUntil")
                  SELECT {1}, s, {3}, {4}, 0, 0, {0} FROM unnest({2}::bigint[]) AS s
                  ON CONFLICT ("AlertSeq", "SubscriberId") DO NOTHING
                  RETURNING *
                  """
                : """
                  INSERT INTO "Deliveries" ("AlertSeq", "SubscriberId", "Channel", "Priority", "State", "Attempts", "LeaseUntil")
                  SELECT {1}, "value", {3}, {4}, 0, 0, {0} FROM json_each({2}) WHERE true
                  ON CONFLICT ("AlertSeq", "SubscriberId") DO NOTHING
                  RETURNING *
                  """, leaseUntil, fanout.AlertSeq, db.IsPostgres ? slice : "[" + string.Join(',', slice) + "]",
                (int)fanout.Channel, fanout.Priority)
                .AsNoTracking().ToListAsync(ct);
            await tx.CommitAsync(ct);
            for (int i = 0; i < slice.Length; i++) rank[slice[i]] = i;
            claimed.AddRange(rows.OrderBy(r => rank.GetValueOrDefault(r.SubscriberId)).Select(Of));
            rank.Clear();
        }
    }
#pragma warning restore EF1002

    private static async Task<long[]> ReadSliceAsync(WhistleDb db, Guid alertId, SubscriberChannel channel, int from, int count, CancellationToken ct)
    {
        var conn = db.Database.GetDbConnection();
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        cmd.CommandText = db.IsPostgres
            ? """SELECT substring("Recipients" from @from for @len) FROM "FanoutOrders" WHERE "AlertId" = @id AND "Channel" = @channel"""
            : """SELECT substr("Recipients", @from, @len) FROM "FanoutOrders" WHERE "AlertId" = @id AND "Channel" = @channel""";
        AddParam(cmd, "@from", from * 8 + 1);
        AddParam(cmd, "@len", count * 8);
        AddParam(cmd, "@id", Id(db, alertId));
        AddParam(cmd, "@channel", (int)channel);
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
