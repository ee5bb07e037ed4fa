using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Privacy;
using Whistle.Subscriptions;

/// <summary>
/// An alert's commit, from "send" (the <see cref="PublishAlert.SendAsync"/> call: targeting, the estimate, the
/// transaction) to its durable commit, for a city-wide alert (everyone seeded) and a 2 km one, median of several runs
/// (issue 16 §3, decision 0050). On PostgreSQL, beside it on the same database: a PostGIS baseline — the same points in
/// a geography column and one INSERT … SELECT … WHERE ST_DWithin of a delivery row per recipient, in one transaction.
/// </summary>
public static class CommitBench
{
    private static readonly GeoPoint Centre = new(44.9778, -93.2650);
    private static readonly (string Name, double Radius)[] Cases = [("city-wide (25 km)", 25_000), ("2 km", 2_000)];

    public static async Task RunAsync(Func<WhistleDb> newDb, string? pgConnection, ZoneRegistry zones, KeyRing keys, int n, int runs)
    {
        string database = pgConnection is null ? "SQLite" : "PostgreSQL";
        var sync = new SubscriberIndexSync(new SubscriberIndex(), TimeProvider.System, keys);
        await using (var db = newDb()) await sync.CatchUpAsync(db);
        if (pgConnection is not null) await using (var db = newDb())
            Console.WriteLine($"PostgreSQL: fsync = {await Scalar(db, "SHOW fsync")}, synchronous_commit = {await Scalar(db, "SHOW synchronous_commit")}, " +
                              $"FanoutOrders.Recipients storage = {await Scalar(db, "SELECT attstorage::text FROM pg_attribute WHERE attrelid = '\"FanoutOrders\"'::regclass AND attname = 'Recipients'")} (e = external)");
        if (pgConnection is not null) await BaselineSetupAsync(pgConnection, n, zones.Current.All.Count());

        var rows = new List<string>();
        int seq = 0;
        foreach (var (name, radius) in Cases)
        {
            var whistle = new List<double>();
            var baseline = new List<double>();
            int recipients = 0, baselineRows = 0;
            for (int run = 0; run < runs; run++)
            {
                await using (var db = newDb())
                {
                    var publish = new PublishAlert(db, zones, sync, new DeliverySignal(), new DeliveryRates(Options.Create(new WhistleOptions())), TimeProvider.System);
                    var now = DateTimeOffset.UtcNow;
                    var alert = new Alert
                    {
                        Kind = AlertKind.Alert, Activity = Whistle.Reports.Activity.Checkpoint, Place = "Downtown West",
                        CircleLat = Centre.Lat, CircleLon = Centre.Lon, CircleRadiusMeters = radius,
                        OriginLat = Centre.Lat, OriginLon = Centre.Lon, SentAt = now, ExpiresAt = now.AddHours(4), SentBy = "bench",
                    };
                    var sw = Stopwatch.StartNew();
                    await publish.SendAsync(alert, now, default);
                    whistle.Add(sw.Elapsed.TotalMilliseconds);
                    recipients = alert.Recipients;
                    // Committed: the order holds every recipient, and no delivery row was written.
                    int ordered = await db.Fanouts.Where(f => f.AlertId == alert.Id).SumAsync(f => f.Total);
                    int written = await db.Deliveries.CountAsync(d => d.AlertSeq == alert.Seq);
                    if (ordered != recipients || written != 0) throw new Exception($"order holds {ordered} of {recipients}; {written} delivery rows written");
                    Console.WriteLine($"{database} {name} run {run + 1}: Whistle {recipients:N0} recipients committed in {whistle[^1]:N0} ms");
                }
                if (pgConnection is not null)
                {
                    var (ms, count) = await BaselineRunAsync(pgConnection, ++seq, radius);
                    baseline.Add(ms);
                    baselineRows = count;
                    Console.WriteLine($"{database} {name} run {run + 1}: PostGIS baseline {count:N0} rows committed in {ms:N0} ms");
                }
            }
            whistle.Sort();
            baseline.Sort();
            rows.Add($"| {name} | {database} | {recipients:N0} | {whistle[whistle.Count / 2]:N0} ms | " +
                     (baseline.Count > 0 ? $"{baselineRows:N0} | {baseline[baseline.Count / 2]:N0} ms |" : "— | — |"));
        }
        Console.WriteLine();
        Console.WriteLine($"RESULT alert commit, {n:N0} subscribers, median of {runs}, from send to durable commit:");
        Console.WriteLine("| case | database | Whistle recipients | Whistle | PostGIS baseline rows | PostGIS baseline |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var row in rows) Console.WriteLine(row);
    }

    private static async Task<string?> Scalar(WhistleDb db, string sql)
    {
        var conn = db.Database.GetDbConnection();
        if (conn.State != System.Data.ConnectionState.Open) await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return (await cmd.ExecuteScalarAsync())?.ToString();
    }

    /// <summary>
    /// The seeded subscribers' points (the seeder's own sequence, Random(42)) in a PostGIS table with a GiST index, and a
    /// delivery table shaped like Whistle's (key (alert, subscriber)). Not part of the figure.
    /// </summary>
    private static async Task BaselineSetupAsync(string connection, int n, int zoneCount)
    {
        var sw = Stopwatch.StartNew();
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await Exec(conn, """
            CREATE EXTENSION IF NOT EXISTS postgis;
            DROP TABLE IF EXISTS subs; DROP TABLE IF EXISTS subs_raw; DROP TABLE IF EXISTS deliveries_baseline;
            CREATE TABLE subs_raw (id bigint, lon double precision, lat double precision, radius double precision);
            CREATE TABLE deliveries_baseline (alert_seq bigint, subscriber_id bigint, channel int, priority int, state int, attempts int,
                PRIMARY KEY (alert_seq, subscriber_id));
            """);
        var random = new Random(42);
        await using (var copy = await conn.BeginBinaryImportAsync("COPY subs_raw (id, lon, lat, radius) FROM STDIN (FORMAT BINARY)"))
        {
            for (int i = 0; i < n; i++)
            {
                // The same draws, in the same order, as the seeder's Row(i).
                bool zoneOnly = i % 5 == 0;
                double lat = 44.89 + random.NextDouble() * 0.16, lon = -93.33 + random.NextDouble() * 0.14;
                double r = zoneOnly ? 0 : 250 + random.Next(8) * 250;
                if (zoneOnly || i % 7 == 0) random.Next(zoneCount);
                await copy.StartRowAsync();
                await copy.WriteAsync((long)i + 1, NpgsqlDbType.Bigint);
                await copy.WriteAsync(lon, NpgsqlDbType.Double);
                await copy.WriteAsync(lat, NpgsqlDbType.Double);
                await copy.WriteAsync(r, NpgsqlDbType.Double);
            }
            await copy.CompleteAsync();
        }
        await Exec(conn, """
            CREATE TABLE subs AS SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog, radius FROM subs_raw;
            DROP TABLE subs_raw;
            ALTER TABLE subs ADD PRIMARY KEY (id);
            CREATE INDEX subs_geog ON subs USING gist (geog);
            ANALYZE subs;
            CHECKPOINT;
            """);
        Console.WriteLine($"PostGIS baseline: {n:N0} points loaded and indexed in {sw.Elapsed.TotalSeconds:F1} s (not part of the figure)");
    }

    /// <summary>
    /// One transaction: a delivery row for every subscriber whose circle meets the alert's (the first ST_DWithin, at the
    /// largest radius seeded, is the one the GiST index serves), committed.
    /// </summary>
    private static async Task<(double Ms, int Rows)> BaselineRunAsync(string connection, int alertSeq, double radius)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        var sw = Stopwatch.StartNew();
        await using var tx = await conn.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO deliveries_baseline (alert_seq, subscriber_id, channel, priority, state, attempts)
            SELECT @seq, id, 0, 2, 0, 0 FROM subs
            WHERE ST_DWithin(geog, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, @radius + 2000)
              AND ST_DWithin(geog, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, @radius + radius)
            """, conn, tx);
        cmd.Parameters.AddWithValue("seq", (long)alertSeq);
        cmd.Parameters.AddWithValue("lon", Centre.Lon);
        cmd.Parameters.AddWithValue("lat", Centre.Lat);
        cmd.Parameters.AddWithValue("radius", radius);
        int rows = await cmd.ExecuteNonQueryAsync();
        await tx.CommitAsync();
        return (sw.Elapsed.TotalMilliseconds, rows);
    }

    private static async Task Exec(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
