using Whistle.Privacy;
using static Whistle.Tests.Api.IntakeTests; // the same report shape and checks (At, PostAsync, IdOf)

namespace Whistle.Tests.Api;

/// <summary>
/// Two nodes over one PostgreSQL database, each with its own intake writer (issue 16 §3, decision 0052): reports of one
/// place that arrive through both nodes at the same moment must still come out as if filed one after the other — one
/// sighting for one place, not one a node.
/// </summary>
public sealed class IntakeClusterTests
{
    /// <summary>
    /// Seen (two nodes behind the proxy, a raid reported by thirty residents at once): each node's writer filed its half
    /// without seeing the other's uncommitted batch, and the dispatcher's queue showed the one raid as two sightings.
    /// </summary>
    [Fact]
    public async Task Seen_a_raid_reported_through_two_nodes_at_the_same_moment_started_a_sighting_on_each_now_one()
    {
        var limits = new Dictionary<string, string?>
        {
            ["Whistle:Intake:NetworkPerMinute"] = "10000", ["Whistle:Intake:AreaPerMinute"] = "10000", ["Whistle:RateLimits:ReportsPerMinute"] = "10000",
            ["Whistle:Encryption:Keys"] = KeyRing.CreateNew().ToJson(), // one network: both nodes hash sources and seal alike
        };
        using var a = new IntakeApp(Db.Postgres, limits);
        _ = a.Services;
        using var b = new IntakeApp(Db.Sqlite, new(limits)
        {
            ["Whistle:Database:Provider"] = "postgres",
            ["Whistle:Database:ConnectionString"] = a.Settings["Whistle:Database:ConnectionString"],
        });
        _ = b.Services;

        // Twelve places, far apart; at each, thirty residents on thirty networks report within a few metres, all at once,
        // every other one through the other node.
        var split = new List<int>();
        for (int place = 0; place < 12; place++)
        {
            double lat = 44.90 + place * 0.01, lon = -93.33 + place * 0.01;
            var results = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
                PostAsync((i % 2 == 0 ? a : b).From($"198.51.{place}.{i + 1}"), At(lat + i * 1e-5, lon, $"raid {place}"))));
            int sightings = results.Select(r => IdOf(r, "sightingId")).Distinct().Count();
            Assert.All(results, r => Assert.NotNull(IdOf(r, "sightingId")));
            if (sightings != 1) split.Add(place);
        }
        Assert.Empty(split);
    }
}
