using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 16 §3: the targeting index's start-up load was rewritten for speed (a plain data reader, id ranges read on one
/// connection per core, each reader opening and entering its own batches, circles sealed in a binary layout). What the index answers must not
/// change: rows sealed in the text layout written before issue 16 and rows sealed in the binary layout load into
/// indexes that answer every alert exactly as an index built from the subscribers' true areas — over more rows
/// than one batch, with pending subscribers left out, damaged circles reached by their zones only, and changes
/// (an unsubscribe, a moved circle) caught up afterwards.
/// </summary>
public abstract class IndexLoadTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const int Count = 20_000; // more than one batch of the loader (16,384) when read on one connection

    [Fact]
    public async Task Rows_sealed_in_the_old_text_layout_and_in_the_binary_layout_load_into_indexes_that_answer_like_the_true_areas()
    {
        var keys = app.Services.GetRequiredService<KeyRing>();
        var zones = app.Services.GetRequiredService<ZoneRegistry>().Current;
        var zoneIds = zones.All.Select(z => z.Id).ToArray();
        Assert.NotEmpty(zoneIds);
        var random = new Random(16);
        var truth = new Dictionary<long, SubscriberArea>();
        var circles = new Dictionary<long, SealedCircle>();
        long damaged;

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var now = DateTimeOffset.UtcNow;
            var rows = new List<(Subscriber Row, SealedCircle? Circle)>();
            for (int i = 0; i < Count; i++)
            {
                bool zoneOnly = i % 5 == 0;
                var circle = zoneOnly ? (SealedCircle?)null
                    : new SealedCircle(44.89 + random.NextDouble() * 0.16, -93.33 + random.NextDouble() * 0.14, 100 + random.Next(20) * 100);
                string zoneCsv = zoneOnly || i % 7 == 0 ? string.Join(',', zoneIds.OrderBy(_ => random.Next()).Take(1 + i % 3)) : "";
                var row = new Subscriber
                {
                    Channel = (SubscriberChannel)(i % 4), AddressCipher = keys.Encrypt($"+1612{i:D7}", Purpose.SubscriberAddress),
                    AddressHash = keys.Hash($"index-load:{i}"), Language = "en", Zones = zoneCsv,
                    AreaCipher = circle?.SealAsText(keys),
                    State = i % 11 == 0 ? SubscriberState.Pending : SubscriberState.Confirmed,
                    CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
                };
                rows.Add((row, circle));
                db.Subscribers.Add(row);
            }
            // One circle that cannot be opened (damaged at rest): that subscriber is reached by its zones only.
            var broken = rows.First(r => r.Circle is not null && r.Row.Zones != "" && r.Row.State == SubscriberState.Confirmed);
            broken.Row.AreaCipher![^1] ^= 0x55;
            await db.SaveChangesAsync();
            damaged = broken.Row.Id;
            foreach (var (row, circle) in rows)
            {
                if (circle is { } c) circles[row.Id] = c;
                if (row.State != SubscriberState.Confirmed) continue;
                var open = row.Id == damaged ? null : circle;
                truth[row.Id] = new SubscriberArea(row.Id, open?.Lat, open?.Lon, open?.RadiusMeters, Alert.ZoneIds(row.Zones), row.Channel);
            }
        }

        var fromText = await LoadAsync(keys);
        Assert.Equal(truth.Count, fromText.Index.Count);

        // The same circles resealed in the binary layout (as Whistle writes them now).
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var all = await db.Subscribers.ToListAsync();
            foreach (var s in all)
                if (circles.TryGetValue(s.Id, out var c) && s.Id != damaged)
                {
                    var text = s.AreaCipher!;
                    s.AreaCipher = c.Seal(keys);
                    Assert.NotEqual(text.Length, s.AreaCipher.Length); // the layouts differ; both open to the same circle
                    Assert.Equal(c, SealedCircle.Open(keys, s.AreaCipher));
                    Assert.Equal(c, SealedCircle.Open(keys, text));
                }
            await db.SaveChangesAsync();
        }
        var fromBinary = await LoadAsync(keys, batchRows: 1_000); // several batches in each reader's id range
        Assert.Equal(truth.Count, fromBinary.Index.Count);

        var reference = new SubscriberIndex();
        foreach (var a in truth.Values) reference.Upsert(a);
        foreach (var (area, origin) in Areas(zoneIds))
        {
            var expected = Answer(reference, area, origin, zones);
            Assert.Equal(expected, Answer(fromText.Index, area, origin, zones));
            Assert.Equal(expected, Answer(fromBinary.Index, area, origin, zones));
        }
        // The damaged circle's subscriber is still reached through a zone of theirs.
        int aZone = truth[damaged].Zones[0];
        var zone = zones.Find(aZone)!;
        Assert.Contains(fromBinary.Index.Resolve(new AlertArea(null, [aZone]), new GeoPoint((zone.MinLat + zone.MaxLat) / 2, (zone.MinLon + zone.MaxLon) / 2), zones),
            r => r.SubscriberId == damaged);

        // Changes after the load are caught up: one unsubscribes, one moves their circle far away, a pending one confirms.
        long gone, moved, confirmed;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var now = DateTimeOffset.UtcNow.AddSeconds(1);
            var some = await db.Subscribers.Where(s => s.State == SubscriberState.Confirmed && s.AreaCipher != null && s.Zones == "")
                .OrderBy(s => s.Id).Take(2).ToListAsync();
            (some[0].State, some[0].ChangedAt) = (SubscriberState.Unsubscribed, now);
            (some[1].AreaCipher, some[1].ChangedAt) = (new SealedCircle(45.2, -93.9, 300).Seal(keys), now);
            var pending = await db.Subscribers.Where(s => s.State == SubscriberState.Pending).OrderBy(s => s.Id).FirstAsync();
            pending.Confirm(now);
            await db.SaveChangesAsync();
            (gone, moved, confirmed) = (some[0].Id, some[1].Id, pending.Id);
        }
        await using (var scope = app.Services.CreateAsyncScope())
            await fromBinary.CatchUpAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>());
        Assert.Equal(truth.Count, fromBinary.Index.Count); // one left, one came
        var cityWide = fromBinary.Index.Resolve(new AlertArea(new GeoCircle(new GeoPoint(44.97, -93.26), 30_000), []), new GeoPoint(44.97, -93.26), zones);
        Assert.DoesNotContain(cityWide, r => r.SubscriberId == gone || r.SubscriberId == moved);
        Assert.Contains(fromBinary.Index.Resolve(new AlertArea(new GeoCircle(new GeoPoint(45.2, -93.9), 100), []), new GeoPoint(45.2, -93.9), zones),
            r => r.SubscriberId == moved);
        if (circles.TryGetValue(confirmed, out var pc))
            Assert.Contains(fromBinary.Index.Resolve(new AlertArea(new GeoCircle(new GeoPoint(pc.Lat, pc.Lon), 10), []), new GeoPoint(pc.Lat, pc.Lon), zones),
                r => r.SubscriberId == confirmed);
    }

    private async Task<SubscriberIndexSync> LoadAsync(KeyRing keys, int? batchRows = null)
    {
        var sync = batchRows is { } rows
            ? new SubscriberIndexSync(new SubscriberIndex(), TimeProvider.System, keys) { BatchRows = rows }
            : new SubscriberIndexSync(new SubscriberIndex(), TimeProvider.System, keys);
        await using var scope = app.Services.CreateAsyncScope();
        await sync.CatchUpAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>());
        return sync;
    }

    /// <summary>Who is reached, with their distance and channel, in id order (ties in distance may come in either order), and that the answer is nearest first.</summary>
    private static List<(long, float, SubscriberChannel)> Answer(SubscriberIndex index, AlertArea area, GeoPoint origin, ZoneCatalog zones)
    {
        var recipients = index.Resolve(area, origin, zones);
        for (int i = 1; i < recipients.Length; i++) Assert.True(recipients[i - 1].DistanceMeters <= recipients[i].DistanceMeters);
        Assert.Equal(recipients.Length, recipients.Select(r => r.SubscriberId).Distinct().Count());
        return recipients.Select(r => (r.SubscriberId, (float)r.DistanceMeters, r.Channel)).OrderBy(r => r.SubscriberId).ToList();
    }

    private static IEnumerable<(AlertArea, GeoPoint)> Areas(int[] zoneIds)
    {
        var centre = new GeoPoint(44.9778, -93.2650);
        yield return (new AlertArea(new GeoCircle(centre, 25_000), []), centre);
        yield return (new AlertArea(new GeoCircle(centre, 2_000), []), centre);
        yield return (new AlertArea(new GeoCircle(new GeoPoint(44.93, -93.30), 700), []), new GeoPoint(44.931, -93.301));
        yield return (new AlertArea(null, [zoneIds[0]]), centre);
        yield return (new AlertArea(new GeoCircle(new GeoPoint(44.95, -93.22), 1_500), [zoneIds[^1], zoneIds[zoneIds.Length / 2]]), new GeoPoint(44.95, -93.22));
    }
}

public sealed class IndexLoadTestsSqlite(SqliteApp a) : IndexLoadTests<SqliteApp>(a);

public sealed class IndexLoadTestsPostgres(PostgresApp a) : IndexLoadTests<PostgresApp>(a);
