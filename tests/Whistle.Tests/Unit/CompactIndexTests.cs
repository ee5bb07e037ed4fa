using CsCheck;
using Whistle.Alerts;
using Whistle.Geo;
using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 16: the targeting index was made compact (no object per subscriber, an int table for ids, interned zone
/// lists). On random subscribers, updates and removals, it must resolve exactly what the index before it did:
/// the same subscribers, each once, with the same distances and channels, in the same nearest-first order.
/// </summary>
public class CompactIndexTests
{
    private static readonly GeoPoint P = new(44.9485, -93.2555);

    private static readonly ZoneCatalog Zones = new([
        (1, "West", Square(44.944, -93.262, 0.01)),
        (2, "East", Square(44.944, -93.252, 0.01)),
        (3, "Far", Square(45.02, -93.30, 0.03)),
        (4, "Big", Square(44.90, -93.35, 0.12)),
    ]);

    private static string Square(double lat, double lon, double size) =>
        $$"""{"type":"Polygon","coordinates":[[[{{lon}},{{lat}}],[{{lon + size}},{{lat}}],[{{lon + size}},{{lat + size}}],[{{lon}},{{lat + size}}],[{{lon}},{{lat}}]]]}""";

    private static SubscriberArea RandomSubscriber(Random r, long id)
    {
        int[] zones = r.Next(3) == 0 ? [] : Enumerable.Range(0, r.Next(1, 3)).Select(_ => r.Next(1, 6)).ToArray(); // 5: a zone since deleted
        bool circle = zones.Length == 0 || r.Next(2) == 0;
        // Clustered near P (many in one cell), or spread over ~20 km (many cells); radii from a few metres to 5 km.
        double spread = r.Next(2) == 0 ? 0.01 : 0.2;
        return new SubscriberArea(id,
            circle ? P.Lat + (r.NextDouble() - 0.5) * spread : null,
            circle ? P.Lon + (r.NextDouble() - 0.5) * spread : null,
            circle ? (r.Next(4) == 0 ? r.Next(1, 8) * 250 : r.NextDouble() * 5000) : null,
            zones, (SubscriberChannel)r.Next(0, 3));
    }

    private static AlertArea RandomArea(Random r)
    {
        int kind = r.Next(3);
        GeoCircle? circle = kind == 1 ? null
            : new GeoCircle(new GeoPoint(P.Lat + (r.NextDouble() - 0.5) * 0.1, P.Lon + (r.NextDouble() - 0.5) * 0.1),
                r.Next(3) == 0 ? 25_000 : r.NextDouble() * 3000 + 1);
        int[] zones = kind == 0 ? [] : Enumerable.Range(0, r.Next(1, 3)).Select(_ => r.Next(1, 6)).Distinct().ToArray();
        return new AlertArea(circle, zones);
    }

    [Fact]
    public void The_compact_index_resolves_exactly_what_the_old_one_did_on_random_subscribers_and_changes()
    {
        Gen.Int.Sample(seed =>
        {
            var r = new Random(seed);
            var compact = new SubscriberIndex();
            var reference = new ReferenceSubscriberIndex();
            int ops = r.Next(50, 600);
            for (int i = 0; i < ops; i++)
            {
                long id = r.Next(1, 300) * 7919L; // sparse ids, as after deletions
                if (r.Next(5) == 0) { compact.Remove(id); reference.Remove(id); }
                else
                {
                    var s = RandomSubscriber(r, id);
                    compact.Upsert(s);
                    reference.Upsert(s);
                }
            }
            Assert.Equal(reference.Count, compact.Count);
            for (int q = 0; q < 6; q++)
            {
                var area = RandomArea(r);
                var origin = area.Circle?.Center ?? new GeoPoint(P.Lat + r.NextDouble() * 0.01, P.Lon);
                var expected = reference.Resolve(area, origin, Zones);
                var actual = compact.Resolve(area, origin, Zones);
                // Equal distances may come in either order; everything else is the same, position by position.
                Assert.Equal(expected.Select(x => x.DistanceMeters), actual.Select(x => x.DistanceMeters));
                Assert.Equal(expected.OrderBy(x => x.SubscriberId), actual.OrderBy(x => x.SubscriberId));
                Assert.Equal(actual.Length, actual.Select(x => x.SubscriberId).Distinct().Count());
            }
        }, iter: 200);
    }

    [Fact]
    public void Removing_every_subscriber_in_any_order_leaves_an_index_that_finds_nobody_and_takes_them_back()
    {
        Gen.Int.Sample(seed =>
        {
            var r = new Random(seed);
            var index = new SubscriberIndex();
            var subscribers = Enumerable.Range(1, r.Next(1, 3000)).Select(i => RandomSubscriber(r, i * 31L)).ToList();
            foreach (var s in subscribers) index.Upsert(s);
            var everywhere = new AlertArea(new GeoCircle(P, 60_000), [1, 2, 3, 4, 5]);
            Assert.Equal(subscribers.Count, index.Resolve(everywhere, P, Zones).Length);
            foreach (var s in subscribers.OrderBy(_ => r.Next())) index.Remove(s.Id);
            Assert.Equal(0, index.Count);
            Assert.Empty(index.Resolve(everywhere, P, Zones));
            foreach (var s in subscribers) index.Upsert(s);
            Assert.Equal(subscribers.Count, index.Resolve(everywhere, P, Zones).Length);
        }, iter: 20);
    }
}
