using System.Buffers.Binary;
using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 13 §1: a seized database gives away no subscriber's circle centre ("around home"). The circle is
/// stored only sealed; the targeting index is rebuilt from the cipher texts after a restart; circles an older
/// Whistle stored in the clear are sealed at start-up.
/// </summary>
public abstract class SealedAreaTests(Db db) : IDisposable
{
    // Distinctive points (7 decimals), about 6 km apart in Minneapolis.
    private const double HomeLat = 44.9632171, HomeLon = -93.2718437;
    private const double FarLat = 44.9401234, FarLon = -93.2011234;
    private const double MovedLat = 44.9712345, MovedLon = -93.2456789;
    private const double OldLat = 44.9523457, OldLon = -93.2387651;
    private const double OldPendingLat = 44.9187653, OldPendingLon = -93.2298761;

    private readonly string _dir = Directory.CreateTempSubdirectory("whistle-sealed-").FullName;
    private readonly List<WhistleApp> _apps = [];

    public void Dispose()
    {
        // Later apps first: the first one owns (and drops) the PostgreSQL database.
        for (int i = _apps.Count - 1; i >= 0; i--) _apps[i].Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private WhistleApp Start()
    {
        var settings = new Dictionary<string, string?> { ["Whistle:DataDir"] = _dir };
        if (_apps.Count > 0 && db == Db.Postgres)
        {
            settings["Whistle:Database:Provider"] = "postgres";
            settings["Whistle:Database:ConnectionString"] = _apps[0].Settings["Whistle:Database:ConnectionString"];
        }
        var app = new CustomApp(settings, db: _apps.Count == 0 ? db : Db.Sqlite);
        _apps.Add(app);
        _ = app.Services;
        return app;
    }

    [Fact]
    public async Task A_circle_subscription_leaves_no_centre_in_the_clear_anywhere_in_the_database()
    {
        var app = Start();
        var client = app.CreateClient();
        await app.SubscribeAsync(client, "sms", "+16125557101", "en", circle: new { lat = HomeLat, lon = HomeLon, radiusMeters = 400 });
        // A change of circle waiting for its code is kept too (it used to sit in the clear in the pending JSON).
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions",
            new { channel = "sms", address = "+16125557101", language = "en", circle = new { lat = MovedLat, lon = MovedLon, radiusMeters = 900 } });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);

        var found = await ClearCentresAsync(app, (HomeLat, HomeLon), (MovedLat, MovedLon));
        Assert.True(found.Count == 0, "Centres in the clear: " + string.Join("; ", found));
        if (db == Db.Sqlite)
        {
            var files = RawFileHits((HomeLat, HomeLon), (MovedLat, MovedLon));
            Assert.True(files.Count == 0, "Centres in the database files: " + string.Join("; ", files));
        }
        // The sealed circle is there, and opens to the subscriber's circle with the key ring.
        var row = await InDbAsync(app, d => d.Subscribers.AsNoTracking().SingleAsync());
        var keys = app.Services.GetRequiredService<KeyRing>();
        Assert.Equal(new SealedCircle(HomeLat, HomeLon, 400), SealedCircle.Open(keys, row.AreaCipher!));
        Assert.Null(row.CircleLat);
        Assert.Null(row.CircleLon);
        Assert.Null(row.CircleRadiusMeters);
    }

    [Fact]
    public async Task After_a_restart_targeting_reaches_exactly_the_subscribers_whose_circle_covers_the_alert()
    {
        var first = Start();
        var client = first.CreateClient();
        var home = await first.SubscribeAsync(client, "sms", "+16125557201", "en", circle: new { lat = HomeLat, lon = HomeLon, radiusMeters = 400 });
        var far = await first.SubscribeAsync(client, "email", "far-away@example.org", "es", circle: new { lat = FarLat, lon = FarLon, radiusMeters = 400 });

        // A new process over the same database: its index is built from the sealed circles alone.
        var second = Start();
        var dispatcher = await second.StaffAsync("dispatcher");
        Assert.Equal([home], await RecipientsAsync(second, dispatcher, HomeLat + 0.004, HomeLon, 300)); // ~445 m north of home
        Assert.Equal([far], await RecipientsAsync(second, dispatcher, FarLat, FarLon - 0.009, 500));   // ~710 m west of far
        Assert.Equal(new[] { home, far }.Order(), (await RecipientsAsync(second, dispatcher, 44.952, -93.236, 6000)).Order());
        Assert.Empty(await RecipientsAsync(second, dispatcher, HomeLat + 0.02, HomeLon, 300));             // ~2.2 km north
    }

    [Fact]
    public async Task Circles_an_older_version_stored_in_the_clear_are_sealed_at_start_up_and_still_targeted()
    {
        var first = Start();
        long id = await InDbAsync(first, async d =>
        {
            var keys = first.Services.GetRequiredService<KeyRing>();
            var now = DateTimeOffset.UtcNow;
            // The old shape: centre and radius in clear columns, a pending change with its circle in clear JSON.
            var sub = new Subscriber
            {
                Channel = SubscriberChannel.Sms, AddressCipher = keys.Encrypt("+16125557301", Purpose.SubscriberAddress),
                AddressHash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, "+16125557301")), Language = "en",
                CircleLat = OldLat, CircleLon = OldLon, CircleRadiusMeters = 350, State = SubscriberState.Confirmed, Drills = true,
                Pending = JsonSerializer.Serialize(new SubscriberPrefs("en", [], OldPendingLat, OldPendingLon, 800)),
                CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
            };
            d.Subscribers.Add(sub);
            await d.SaveChangesAsync();
            return sub.Id;
        });
        Assert.NotEmpty(await ClearCentresAsync(first, (OldLat, OldLon))); // the test sees an old-shape row when there is one

        var second = Start();
        Assert.Empty(await ClearCentresAsync(second, (OldLat, OldLon), (OldPendingLat, OldPendingLon)));
        var row = await InDbAsync(second, d => d.Subscribers.AsNoTracking().SingleAsync(s => s.Id == id));
        var ring = second.Services.GetRequiredService<KeyRing>();
        Assert.Equal(new SealedCircle(OldLat, OldLon, 350), SealedCircle.Open(ring, row.AreaCipher!));
        Assert.Null(row.CircleLat);
        Assert.Null(row.CircleRadiusMeters);
        var pending = JsonSerializer.Deserialize<SubscriberPrefs>(row.Pending!)!;
        Assert.Null(pending.Lat);
        Assert.Equal(new SealedCircle(OldPendingLat, OldPendingLon, 800), SealedCircle.Open(ring, Convert.FromBase64String(pending.AreaCipher!)));

        var dispatcher = await second.StaffAsync("dispatcher");
        Assert.Equal([id], await RecipientsAsync(second, dispatcher, OldLat, OldLon + 0.005, 200)); // ~395 m east
        Assert.Equal(0, await new SealedCircleCount(second).LegacyAsync());
    }

    /// <summary>Sends a drill over a circle and returns the ids of the subscribers it was written to.</summary>
    private static async Task<long[]> RecipientsAsync(WhistleApp app, HttpClient dispatcher, double lat, double lon, double radius)
    {
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat, lon, radiusMeters = radius } });
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        return await InDbAsync(app, async d =>
        {
            // The fan-out's order: who the alert was written to (delivery rows are created as a lane claims them).
            var orders = await d.FanoutOrders.Where(x => x.AlertId == id).Select(x => x.Recipients).ToListAsync();
            return orders.SelectMany(Whistle.Delivery.DeliveryStore.Order).Order().ToArray();
        });
    }

    private static async Task<T> InDbAsync<T>(WhistleApp app, Func<WhistleDb, Task<T>> work)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<WhistleDb>());
    }

    /// <summary>
    /// Every value of every table, read with a plain SQL connection: a number within ~2 m of a centre's latitude or
    /// longitude, or text or bytes holding it written out (5 decimals) or as an IEEE double, is reported.
    /// </summary>
    private async Task<List<string>> ClearCentresAsync(WhistleApp app, params (double Lat, double Lon)[] centres)
    {
        await using DbConnection conn = db == Db.Postgres
            ? new NpgsqlConnection(app.Settings["Whistle:Database:ConnectionString"])
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "whistle.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = db == Db.Postgres
                ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                : "SELECT name FROM sqlite_master WHERE type = 'table'";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) tables.Add(r.GetString(0));
        }
        Assert.Contains("Subscribers", tables);
        var hits = new List<string>();
        var needles = Needles(centres);
        // The neighbourhoods' outlines are public map data (thousands of vertices, some sharing a centre's first digits).
        foreach (var table in tables.Where(t => t != "Zones"))
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT * FROM \"{table}\"";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                for (int c = 0; c < r.FieldCount; c++)
                {
                    if (await r.IsDBNullAsync(c)) continue;
                    var v = r.GetValue(c);
                    var where = $"{table}.{r.GetName(c)}";
                    switch (v)
                    {
                        case double or float or decimal:
                            var d = Convert.ToDouble(v, CultureInfo.InvariantCulture);
                            if (centres.Any(p => Math.Abs(d - p.Lat) < 2e-5 || Math.Abs(d - p.Lon) < 2e-5)) hits.Add($"{where} = {d}");
                            break;
                        case byte[] bytes:
                            if (needles.FirstOrDefault(n => bytes.AsSpan().IndexOf(n) >= 0) is { } n) hits.Add($"{where} holds {Convert.ToHexString(n)}");
                            break;
                        default:
                            var text = Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
                            if (needles.FirstOrDefault(n => text.Contains(Encoding.UTF8.GetString(n), StringComparison.Ordinal) && n.All(b => b < 128)) is { } t)
                                hits.Add($"{where} holds {Encoding.UTF8.GetString(t)}");
                            break;
                    }
                }
        }
        return hits;
    }

    /// <summary>Each centre's latitude and longitude as text (5 decimals, the ~1 m a centre was given to) and as doubles (both byte orders).</summary>
    private static List<byte[]> Needles((double Lat, double Lon)[] centres, int decimals = 5)
    {
        var needles = new List<byte[]>();
        foreach (var v in centres.SelectMany(p => new[] { p.Lat, p.Lon }))
        {
            needles.Add(Encoding.ASCII.GetBytes(Math.Abs(v).ToString("0." + new string('0', decimals), CultureInfo.InvariantCulture)));
            var le = new byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(le, v);
            needles.Add(le);
            var be = new byte[8];
            BinaryPrimitives.WriteDoubleBigEndian(be, v);
            needles.Add(be);
        }
        return needles;
    }

    /// <summary>The SQLite database files themselves (free pages and the WAL included), searched byte by byte.</summary>
    private List<string> RawFileHits(params (double Lat, double Lon)[] centres)
    {
        SqliteConnection.ClearAllPools();
        var hits = new List<string>();
        // Six decimals here: the files also hold the public neighbourhood outlines (five decimals), which share many
        // a five-decimal longitude with a centre by chance; the table scan above leaves that table out instead.
        var needles = Needles(centres, decimals: 6);
        foreach (var file in Directory.EnumerateFiles(_dir, "whistle.db*"))
        {
            byte[] bytes;
            using (var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var ms = new MemoryStream()) { fs.CopyTo(ms); bytes = ms.ToArray(); }
            foreach (var n in needles)
                if (bytes.AsSpan().IndexOf(n) >= 0) hits.Add($"{Path.GetFileName(file)} holds {Convert.ToHexString(n)}");
        }
        return hits;
    }

    /// <summary>How many rows still have a clear circle (none, once sealed).</summary>
    private sealed class SealedCircleCount(WhistleApp app)
    {
        public Task<int> LegacyAsync() => InDbAsync(app, d => d.Subscribers.CountAsync(s => s.CircleLat != null || s.CircleLon != null || s.CircleRadiusMeters != null));
    }
}

public sealed class SealedAreaTestsSqlite() : SealedAreaTests(Db.Sqlite);

public sealed class SealedAreaTestsPostgres() : SealedAreaTests(Db.Postgres);
