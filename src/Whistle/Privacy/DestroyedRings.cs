using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Privacy;

/// <summary>
/// A key ring destroyed on one node is destroyed on every node of the cluster (decision 0046): the destroy is written
/// to the database — the one thing every node reads, even one cut off from Redis — as the ring's id (a keyed hash of a
/// constant under the ring's own look-up key: it names the ring, reveals nothing of it, and survives rotation, which
/// keeps the look-up key). Every node looks every two seconds (<see cref="KeyWatch"/>) and at start-up, and a node that
/// finds its ring there destroys it as the marker file does: marker written, key files shredded, ring zeroed.
/// One small table made at the first destroy (no EF model change), read only when it exists.
/// </summary>
public static class DestroyedRings
{
    public const string Table = "whistle_destroyed_rings";

    /// <summary>The ring's public id (throws once the ring is destroyed: take it before).</summary>
    public static string IdOf(KeyRing ring) => Convert.ToHexString(ring.Hash("whistle.key-ring.id"), 0, 16);

    /// <summary>Writes the destroy for every node to see.</summary>
    public static async Task RecordAsync(WhistleDb db, string ringId, DateOnly date, CancellationToken ct = default)
    {
        await RunAsync(db, async conn =>
        {
            await ExecAsync(conn, $"CREATE TABLE IF NOT EXISTS {Table} (ring_id varchar(64) PRIMARY KEY, destroyed_on varchar(10) NOT NULL)", null, ct);
            await ExecAsync(conn, $"INSERT INTO {Table} (ring_id, destroyed_on) VALUES (@id, @on) ON CONFLICT (ring_id) DO NOTHING",
                new() { ["id"] = ringId, ["on"] = date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }, ct);
            return 0;
        }, ct);
    }

    /// <summary>Whether a node destroyed this ring (false while no ring was ever destroyed: the table does not exist).</summary>
    public static Task<bool> IsDestroyedAsync(WhistleDb db, string ringId, CancellationToken ct = default) => RunAsync(db, async conn =>
    {
        await using (var exists = conn.CreateCommand())
        {
            exists.CommandText = db.IsPostgres
                ? $"SELECT to_regclass('{Table}') IS NOT NULL"
                : $"SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{Table}'";
            if (!Convert.ToBoolean(await exists.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture)) return false;
        }
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM {Table} WHERE ring_id = @id";
        Add(cmd, "id", ringId);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }, ct);

    /// <summary>`keys restore` brought this ring back on purpose: no node refuses it any more.</summary>
    public static Task ForgetAsync(WhistleDb db, string ringId, CancellationToken ct = default) => RunAsync(db, async conn =>
    {
        if (!await IsDestroyedAsync(db, ringId, ct)) return 0;
        return await ExecAsync(conn, $"DELETE FROM {Table} WHERE ring_id = @id", new() { ["id"] = ringId }, ct);
    }, ct);

    private static async Task<T> RunAsync<T>(WhistleDb db, Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        // Plain commands on the context's connection: no EF model, and no error logged for a table that is not there yet.
        var conn = db.Database.GetDbConnection();
        bool opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try { return await work(conn); }
        finally { if (opened) await db.Database.CloseConnectionAsync(); }
    }

    private static async Task<int> ExecAsync(DbConnection conn, string sql, Dictionary<string, object>? args, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args ?? []) Add(cmd, name, value);
        try { return await cmd.ExecuteNonQueryAsync(ct); }
        catch (DbException) when (sql.StartsWith("CREATE", StringComparison.Ordinal))
        {
            return 0; // two nodes creating the table at once (PostgreSQL's catalog race): it exists
        }
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = "@" + name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
