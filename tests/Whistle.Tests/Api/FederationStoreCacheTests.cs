using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Federation;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §1: eight concurrent anonymous requests each rebuilt the partner GeoJSON (21 s each, memory 0.85 → 3.6 GB).
/// Now the document is built once per change and shared: concurrent requests build it once, unchanged data never again.
/// </summary>
public abstract class FederationStoreCacheTests(Db db)
{
    [Fact]
    public async Task Concurrent_public_requests_share_one_build_and_a_change_builds_once_more()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = FederationStore.App(db, feeds, [(FederationStore.Good, "/good", [], true), (FederationStore.Evil, "/evil", [], true)]);
        var shown = app.Services.GetRequiredService<PublicPartnerAlerts>();
        feeds.Serve("/good", Feed("good", new Entry("g-1", Message("g-1", FederationStore.GoodSender, FederationStore.Ago(30),
            expires: FederationStore.Now.AddHours(2), infos: [En("Checkpoint on Lake St")]))));
        var entries = Enumerable.Range(0, 5).Select(i => new Entry($"e-{i}", FederationStore.PolygonFlood($"e-{i}", FederationStore.EvilSender,
            FederationStore.Ago(20 - i), polygons: 4, points: 2000))).ToArray();
        feeds.Serve("/evil", Feed("evil", entries));
        await FederationTests.PollAsync(app);

        int before = shown.Builds;
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => FederationStore.RawPublicAsync(app.CreateClient())));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Single(answers.Select(a => a.ETag).Distinct());
        Assert.Equal(1, shown.Builds - before);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => FederationStore.RawPublicAsync(app.CreateClient())));
        Assert.Equal(1, shown.Builds - before); // nothing changed: nothing rebuilt

        // A change (the good partner's update) is seen by the next request, built once.
        feeds.Serve("/good", Feed("good", new Entry("g-2", Message("g-2", FederationStore.GoodSender, FederationStore.Ago(2), "Update",
            references: Reference(FederationStore.GoodSender, "g-1", FederationStore.Ago(30)), expires: FederationStore.Now.AddHours(2),
            infos: [En("Checkpoint moved")]))));
        await FederationTests.PollAsync(app);
        var after = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => FederationStore.RawPublicAsync(app.CreateClient())));
        Assert.Equal(2, shown.Builds - before);
        Assert.NotEqual(answers[0].ETag, after[0].ETag);
        Assert.Contains("Checkpoint moved", System.Text.Encoding.UTF8.GetString(after[0].Body));
    }
}

public sealed class FederationStoreCacheTestsSqlite() : FederationStoreCacheTests(Db.Sqlite);

public sealed class FederationStoreCacheTestsPostgres() : FederationStoreCacheTests(Db.Postgres);
