using Whistle.Alerts;
using Whistle.Geo;
using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

public class TargetingTests
{
    private static readonly GeoPoint P = new(44.9485, -93.2555);

    // Two square zones side by side, ~1.1 km wide: zone 1 holds P.
    private static readonly ZoneCatalog Zones = new([
        (1, "West", Square(44.944, -93.262, 0.01)),
        (2, "East", Square(44.944, -93.252, 0.01)),
        (3, "Far", Square(45.1, -93.4, 0.01)),
    ]);

    private static string Square(double lat, double lon, double size) =>
        $$"""{"type":"Polygon","coordinates":[[[{{lon}},{{lat}}],[{{lon + size}},{{lat}}],[{{lon + size}},{{lat + size}}],[{{lon}},{{lat + size}}],[{{lon}},{{lat}}]]]}""";

    private static SubscriberArea Circle(long id, GeoPoint c, double r) => new(id, c.Lat, c.Lon, r, []);
    private static SubscriberArea InZones(long id, params int[] zones) => new(id, null, null, null, zones);

    private static long[] Resolve(SubscriberIndex index, AlertArea area, GeoPoint? origin = null) =>
        index.Resolve(area, origin ?? P, Zones).Select(r => r.SubscriberId).ToArray();

    [Theory]
    [InlineData(0)]
    [InlineData(45)]
    [InlineData(90)]
    [InlineData(200)]
    [InlineData(315)]
    public void Circles_match_when_the_centres_are_within_the_sum_of_the_radii_in_any_direction(double bearing)
    {
        var index = new SubscriberIndex();
        index.Upsert(Circle(1, P.Offset(1000 + 250 - 2, bearing), 250));
        index.Upsert(Circle(2, P.Offset(1000 + 250 + 2, bearing), 250));
        Assert.Equal([1L], Resolve(index, new AlertArea(new GeoCircle(P, 1000), [])));
    }

    [Fact]
    public void Recipients_come_nearest_first_each_once()
    {
        var index = new SubscriberIndex();
        index.Upsert(Circle(10, P.Offset(900, 10), 100));
        index.Upsert(Circle(11, P.Offset(50, 200), 100));
        index.Upsert(Circle(12, P.Offset(500, 300), 100));
        index.Upsert(new SubscriberArea(13, P.Lat, P.Lon, 300, [1, 2])); // matches by circle and by two zones: still once
        var result = index.Resolve(new AlertArea(new GeoCircle(P, 1000), [1, 2]), P, Zones);
        Assert.Equal([13L, 11, 12, 10], result.Select(r => r.SubscriberId));
        Assert.True(result.Select(r => r.DistanceMeters).SequenceEqual(result.Select(r => r.DistanceMeters).Order()));
    }

    [Fact]
    public void Zone_subscribers_match_a_circle_that_overlaps_their_zone_and_a_zone_alert_for_the_same_zone()
    {
        var index = new SubscriberIndex();
        index.Upsert(InZones(1, 1));
        index.Upsert(InZones(2, 2));
        index.Upsert(InZones(3, 3));
        // A small circle well inside zone 1 touches zone 1 only.
        Assert.Equal([1L], Resolve(index, new AlertArea(new GeoCircle(new GeoPoint(44.949, -93.257), 100), [])));
        // A zone alert for zone 2 reaches zone 2's subscribers, not its neighbour's.
        Assert.Equal([2L], Resolve(index, new AlertArea(null, [2])));
        // Both: the union.
        Assert.Equal([1L, 3], Resolve(index, new AlertArea(new GeoCircle(new GeoPoint(44.949, -93.257), 100), [3])).Order());
    }

    [Fact]
    public void A_circle_subscriber_overlapping_the_alerts_zone_matches_one_just_beyond_it_does_not()
    {
        var index = new SubscriberIndex();
        // Zone 3's south edge is at 45.1; points south of it, 200 m circles.
        var edge = new GeoPoint(45.1, -93.395);
        index.Upsert(Circle(1, edge.Offset(190, 180), 200));
        index.Upsert(Circle(2, edge.Offset(215, 180), 200));
        index.Upsert(Circle(3, edge.Offset(300, 0), 50)); // inside the zone
        Assert.Equal([1L, 3], Resolve(index, new AlertArea(null, [3])).Order());
    }

    [Fact]
    public void Removed_and_updated_subscribers_are_targeted_by_their_current_area_only()
    {
        var index = new SubscriberIndex();
        index.Upsert(Circle(1, P, 100));
        index.Upsert(Circle(2, P, 100));
        index.Remove(2);
        index.Upsert(Circle(1, new GeoPoint(46, -94), 100)); // moved away
        index.Upsert(Circle(3, P, 100)); // reuses the freed slot
        Assert.Equal([3L], Resolve(index, new AlertArea(new GeoCircle(P, 500), [])));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void A_large_radius_subscriber_far_away_still_matches()
    {
        var index = new SubscriberIndex();
        index.Upsert(Circle(1, P.Offset(30_000, 90), 29_600));
        index.Upsert(Circle(2, P.Offset(30_000, 90), 500));
        Assert.Equal([1L], Resolve(index, new AlertArea(new GeoCircle(P, 500), [])));
    }

    [Fact]
    public void Matches_a_brute_force_check_on_random_data()
    {
        var random = new Random(7);
        var index = new SubscriberIndex();
        var all = new List<SubscriberArea>();
        for (int i = 0; i < 5000; i++)
        {
            var c = new GeoPoint(44.90 + random.NextDouble() * 0.2, -93.35 + random.NextDouble() * 0.2);
            var s = Circle(i, c, 100 + random.Next(2000));
            all.Add(s);
            index.Upsert(s);
        }
        for (int k = 0; k < 20; k++)
        {
            var alert = new GeoCircle(new GeoPoint(44.90 + random.NextDouble() * 0.2, -93.35 + random.NextDouble() * 0.2), 200 + random.Next(5000));
            var expected = all.Where(s => alert.Intersects(new GeoCircle(new GeoPoint(s.Lat!.Value, s.Lon!.Value), s.RadiusMeters!.Value)))
                .Select(s => s.Id).Order();
            var got = Resolve(index, new AlertArea(alert, []), alert.Center);
            Assert.Equal(expected, got.Order());
            // Nearest first, to within the planar approximation (0.1 %).
            var distances = got.Select(id => alert.Center.DistanceTo(new GeoPoint(all[(int)id].Lat!.Value, all[(int)id].Lon!.Value))).ToArray();
            for (int i = 1; i < distances.Length; i++) Assert.True(distances[i] >= distances[i - 1] * 0.999 - 0.5, $"{distances[i]} after {distances[i - 1]}");
        }
    }
}
