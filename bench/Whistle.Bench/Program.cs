using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Network;
using Whistle.Privacy;
using Whistle.Subscriptions;

// Targeting + enqueue at city scale: N confirmed subscribers spread over Minneapolis, one alert whose
// area covers them all, resolved through the spatial index and written as N delivery rows in the
// alert's transaction (durable on commit). Prints the figure.
//
//   dotnet run -c Release --project bench/Whistle.Bench -- targeting [--subscribers 1000000] [--runs 3] [--postgres "Host=..."]
//   dotnet run -c Release --project bench/Whistle.Bench -- micro    (BenchmarkDotNet: index resolve only)
//   dotnet run -c Release --project bench/Whistle.Bench -- commit [--subscribers 1000000] [--runs 5] [--postgres "Host=..."]
//     An alert's commit from "send" to durable commit, city-wide and 2 km, median of --runs; on PostgreSQL beside a
//     PostGIS ST_DWithin + INSERT … SELECT baseline on the same database (decision 0050).
//   dotnet run -c Release --project bench/Whistle.Bench -- fanout [--subscribers 1000000] [--rate 100] [--postgres "Host=..."]
//     Delivery end to end: a Whistle process (the built Whistle.dll) sends a city-wide alert over real HTTP to a
//     local fake Twilio. Prints (1) the whole fan-out's throughput with the provider unthrottled and (2) the time
//     until the nearest 1,000 were handed over with one sender paced at --rate messages a second.

//   dotnet run -c Release --project bench/Whistle.Bench -- index [--subscribers 1000000] [--postgres "Host=..."] [--text-seal] [--memory-only]
//     The targeting index: bytes a subscriber (compact layout beside the old one) and its load at start-up from the
//     database with sealed circles (issue 16 §3), median of 3, with where the time goes; --text-seal seeds the circles
//     in the sealed text layout written before issue 16 (an upgraded network's rows).

//   bench/intake.sh [sqlite|cluster|both]
//     Intake under load: wrk against the published build, one SQLite node or two PostgreSQL + Redis nodes behind HAProxy.

//   dotnet run -c Release --project bench/Whistle.Bench -- sealed [--mb 2048]
//     Evidence encrypted at rest: a generated file sealed and read back; time, throughput, allocations, peak memory.

//   dotnet run -c Release --project bench/Whistle.Bench -- partners [--partners 4] [--requests 200]
//     The public partner alerts as partners send a small feed and their worst allowed feed: build time, per-request
//     time and allocations, answer size; and what the old rebuilt-per-request endpoint cost (issue 14 §1).

if (args.FirstOrDefault() == "partners")
{
    await PartnersBench.RunAsync(Option("--partners", 4), Option("--requests", 200));
    return;
}

if (args.FirstOrDefault() == "sealed")
{
    await SealedBench.RunAsync(Option("--mb", 2048));
    return;
}

if (args.FirstOrDefault() == "micro")
{
    BenchmarkDotNet.Running.BenchmarkRunner.Run<ResolveBenchmark>(args: args[1..]);
    return;
}

int n = Option("--subscribers", 1_000_000);
int runs = Option("--runs", 3);
string? pg = OptionText("--postgres") ?? Environment.GetEnvironmentVariable("WHISTLE_BENCH_PG");
string dir = Directory.CreateTempSubdirectory("whistle-bench-").FullName;
string? pgDb = null;
try
{
    WhistleDb NewDb()
    {
        if (pg is null)
            return new SqliteWhistleDb(new DbContextOptionsBuilder<SqliteWhistleDb>()
                .UseSqlite(DataSetup.SqliteConnectionString(dir)).AddInterceptors(SqlitePragmas.Instance).Options);
        return new PostgresWhistleDb(new DbContextOptionsBuilder<PostgresWhistleDb>()
            .UseNpgsql(new NpgsqlConnectionStringBuilder(pg) { Database = pgDb }.ToString()).Options);
    }
    if (pg is not null)
    {
        pgDb = "whistle_bench_" + Environment.ProcessId;
        await using var admin = new NpgsqlConnection(pg);
        await admin.OpenAsync();
        await new NpgsqlCommand($"DROP DATABASE IF EXISTS {pgDb} WITH (FORCE); ", admin).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"CREATE DATABASE {pgDb}", admin).ExecuteNonQueryAsync();
    }

    await using (var db = NewDb())
    {
        await db.Database.MigrateAsync();
        db.Network.Add(new NetworkProfile { Name = "bench", TimeZone = "America/Chicago", CreatedAt = DateTimeOffset.UtcNow });
        db.Templates.AddRange(DefaultTemplates.All());
        db.Zones.AddRange(DemoNetwork.Zones());
        await db.SaveChangesAsync();
    }
    var zones = new ZoneRegistry();
    await using (var db = NewDb()) await zones.ReloadAsync(db);

    if (args.FirstOrDefault() == "index") IndexBench.Memory(n, zones.Current);
    Console.WriteLine($"database: {(pg is null ? "SQLite (WAL, synchronous=FULL) " + dir : "PostgreSQL")}");
    var sw = Stopwatch.StartNew();
    var keys = KeyRing.CreateNew();
    if (args.FirstOrDefault() == "index" && args.Contains("--memory-only")) return;
    bool textSeal = args.Contains("--text-seal");
    await using (var db = NewDb()) await Seed(db, zones.Current, n, keys, textSeal);
    Console.WriteLine($"seeded {n:N0} confirmed subscribers in {sw.Elapsed.TotalSeconds:F1} s (not part of the figure)");
    if (args.FirstOrDefault() == "index")
    {
        await IndexBench.LoadAsync(NewDb, keys, n, (pg is null ? "SQLite" : "PostgreSQL") + (textSeal ? ", circles in the text layout of before issue 16" : ""));
        return;
    }
    if (args.FirstOrDefault() == "fanout")
    {
        keys.Save(Path.Combine(dir, "keys.json"));
        await FanoutBench.RunAsync(dir, pg is null ? null : new NpgsqlConnectionStringBuilder(pg) { Database = pgDb }.ToString(), n,
            Option("--rate", 100), OptionText("--concurrency"));
        return;
    }

    if (args.FirstOrDefault() == "commit")
    {
        await CommitBench.RunAsync(NewDb, pg is null ? null : new NpgsqlConnectionStringBuilder(pg) { Database = pgDb }.ToString(), zones, keys, n, runs);
        return;
    }

    var sync = new SubscriberIndexSync(new SubscriberIndex(), TimeProvider.System, keys);
    sw.Restart();
    await using (var db = NewDb()) await sync.CatchUpAsync(db);
    Console.WriteLine($"index load at start-up: {sw.ElapsedMilliseconds:N0} ms for {sync.Index.Count:N0} subscribers (once per process)");

    var centre = new GeoPoint(44.9778, -93.2650);
    var area = new AlertArea(new GeoCircle(centre, 25_000), []);
    var resolveTimes = new List<double>();
    var totalTimes = new List<double>();
    for (int run = 0; run < runs; run++)
    {
        sw.Restart();
        var recipients = sync.Index.Resolve(area, centre, zones.Current);
        resolveTimes.Add(sw.Elapsed.TotalMilliseconds);

        await using var db = NewDb();
        var publish = new PublishAlert(db, zones, sync, new DeliverySignal(), new DeliveryRates(Options.Create(new WhistleOptions())), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var alert = new Alert
        {
            Kind = AlertKind.Alert, Drill = true, Activity = Whistle.Reports.Activity.Checkpoint, Place = "Downtown West",
            CircleLat = centre.Lat, CircleLon = centre.Lon, CircleRadiusMeters = 25_000,
            OriginLat = centre.Lat, OriginLon = centre.Lon, SentAt = now, ExpiresAt = now.AddHours(4), SentBy = "bench",
        };
        sw.Restart();
        await publish.SendAsync(alert, now, default);
        totalTimes.Add(sw.Elapsed.TotalMilliseconds);
        // The fan-out's order holds every recipient (delivery rows are created as a lane claims each slice: decision 0050).
        int written = await db.Fanouts.Where(f => f.AlertId == alert.Id).SumAsync(f => f.Total);
        if (written != recipients.Length || written != n) throw new Exception($"ordered {written} deliveries for {recipients.Length} recipients of {n}");
        Console.WriteLine($"run {run + 1}: {alert.Recipients:N0} recipients resolved + fan-out order written and committed in {totalTimes[^1]:N0} ms (index resolve alone {resolveTimes[^1]:N0} ms)");
    }
    totalTimes.Sort();
    resolveTimes.Sort();
    Console.WriteLine($"RESULT targeting+enqueue, {n:N0} subscribers, {(pg is null ? "SQLite" : "PostgreSQL")}: median {totalTimes[totalTimes.Count / 2]:N0} ms " +
                      $"(resolve {resolveTimes[resolveTimes.Count / 2]:N0} ms)");
}
finally
{
    SqliteConnection.ClearAllPools();
    Directory.Delete(dir, true);
    if (pg is not null && pgDb is not null)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(pg);
        await admin.OpenAsync();
        await new NpgsqlCommand($"DROP DATABASE IF EXISTS {pgDb} WITH (FORCE)", admin).ExecuteNonQueryAsync();
    }
}

int Option(string name, int fallback) => OptionText(name) is { } v ? int.Parse(v.Replace("_", "").Replace(",", "")) : fallback;
string? OptionText(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

static async Task Seed(WhistleDb db, ZoneCatalog zones, int n, KeyRing keys, bool textSeal = false)
{
    var random = new Random(42);
    var zoneIds = zones.All.Select(z => z.Id).ToArray();
    var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
    await using var tx = await db.Database.BeginTransactionAsync();
    var conn = db.Database.GetDbConnection();
    string[] langs = ["en", "es", "so", "hmn"];
    // Circles are written sealed, as Whistle writes them.
    (byte[]? area, string zone, byte[] cipher, byte[] hash, string lang) Row(int i)
    {
        var addr = $"+1612{i:D7}";
        bool zoneOnly = i % 5 == 0;
        var (lat, lon, r) = (44.89 + random.NextDouble() * 0.16, -93.33 + random.NextDouble() * 0.14, zoneOnly ? 0 : 250 + random.Next(8) * 250);
        return (r > 0 ? (textSeal ? new SealedCircle(lat, lon, r).SealAsText(keys) : new SealedCircle(lat, lon, r).Seal(keys)) : null,
            zoneOnly || i % 7 == 0 ? zoneIds[random.Next(zoneIds.Length)].ToString() : "",
            keys.Encrypt(addr, Purpose.SubscriberAddress), keys.Hash("Sms:" + addr), langs[i % 4]);
    }
    if (conn is NpgsqlConnection pg)
    {
        await using var copy = await pg.BeginBinaryImportAsync("""
            COPY "Subscribers" ("Channel","AddressCipher","AddressHash","Language","Zones","AreaCipher","State","CodeAttempts","CreatedAt","ConfirmedAt","ChangedAt") FROM STDIN (FORMAT BINARY)
            """);
        for (int i = 0; i < n; i++)
        {
            var r = Row(i);
            await copy.StartRowAsync();
            await copy.WriteAsync(0, NpgsqlDbType.Integer);
            await copy.WriteAsync(r.cipher, NpgsqlDbType.Bytea);
            await copy.WriteAsync(r.hash, NpgsqlDbType.Bytea);
            await copy.WriteAsync(r.lang, NpgsqlDbType.Text);
            await copy.WriteAsync(r.zone, NpgsqlDbType.Text);
            if (r.area is not null) await copy.WriteAsync(r.area, NpgsqlDbType.Bytea);
            else await copy.WriteNullAsync();
            await copy.WriteAsync(1, NpgsqlDbType.Integer);
            await copy.WriteAsync(0, NpgsqlDbType.Integer);
            await copy.WriteAsync(yesterday, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(yesterday, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(yesterday, NpgsqlDbType.TimestampTz);
        }
        await copy.CompleteAsync();
    }
    else
    {
        var sqlite = (SqliteConnection)conn;
        using var cmd = sqlite.CreateCommand();
        cmd.Transaction = (SqliteTransaction)tx.GetDbTransaction();
        cmd.CommandText = """
            INSERT INTO "Subscribers" ("Channel","AddressCipher","AddressHash","Language","Zones","AreaCipher","State","CodeAttempts","CreatedAt","ConfirmedAt","ChangedAt")
            VALUES (0,$c,$h,$l,$z,$a,1,0,$t,$t,$t)
            """;
        var p = new[] { "$c", "$h", "$l", "$z", "$a" }.Select(name => cmd.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        cmd.Parameters.AddWithValue("$t", yesterday.ToUnixTimeMilliseconds());
        cmd.Prepare();
        for (int i = 0; i < n; i++)
        {
            var r = Row(i);
            p[0].Value = r.cipher; p[1].Value = r.hash; p[2].Value = r.lang; p[3].Value = r.zone;
            p[4].Value = r.area is null ? DBNull.Value : r.area;
            cmd.ExecuteNonQuery();
        }
    }
    await tx.CommitAsync();
}

/// <summary>Resolving a city-wide alert over the in-memory index, without the database.</summary>
[BenchmarkDotNet.Attributes.MemoryDiagnoser]
public class ResolveBenchmark
{
    private readonly SubscriberIndex _index = new();
    private readonly ZoneCatalog _zones = new(DemoNetwork.Zones().Select(z => (z.Id, z.Name, z.GeoJson)));
    private readonly GeoPoint _centre = new(44.9778, -93.2650);

    [BenchmarkDotNet.Attributes.Params(100_000, 1_000_000)]
    public int Subscribers { get; set; }

    [BenchmarkDotNet.Attributes.GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (int i = 0; i < Subscribers; i++)
            _index.Upsert(new SubscriberArea(i, 44.89 + random.NextDouble() * 0.16, -93.33 + random.NextDouble() * 0.14, 500, i % 7 == 0 ? [1 + i % 87] : []));
    }

    [BenchmarkDotNet.Attributes.Benchmark]
    public int CityWide() => _index.Resolve(new AlertArea(new GeoCircle(_centre, 25_000), []), _centre, _zones).Length;

    [BenchmarkDotNet.Attributes.Benchmark]
    public int Neighbourhood() => _index.Resolve(new AlertArea(new GeoCircle(_centre, 1_000), []), _centre, _zones).Length;
}
