using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Whistle.Delivery;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §3 and §4, over real HTTP against partner servers on a loopback port: a slow partner delays only itself
/// (each partner its own loop, a time and a byte budget per poll, a few CAP links at a time), and a partner's links
/// cannot make this server call inside addresses (each connection public unless the partner is configured private).
/// </summary>
public sealed class FederationFetchTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly DateTimeOffset Sent = DateTimeOffset.FromUnixTimeSeconds(Now.AddMinutes(-20).ToUnixTimeSeconds());

    internal static string Cap(string partner, string id, int minutes = 0) =>
        Message(id, $"alerts@{partner}.example.org", Sent.AddMinutes(minutes), expires: Now.AddHours(3), infos: [En($"Checkpoint {id}")]);

    internal record Partner(string Name, string FeedUrl, bool AllowPrivate = true, int PollSeconds = 60);

    internal static CustomApp App(Db db, Dictionary<string, string?> settings, params Partner[] partners)
    {
        for (int i = 0; i < partners.Length; i++)
        {
            settings[$"Whistle:Federation:Partners:{i}:Name"] = partners[i].Name;
            settings[$"Whistle:Federation:Partners:{i}:FeedUrl"] = partners[i].FeedUrl;
            settings[$"Whistle:Federation:Partners:{i}:PollSeconds"] = partners[i].PollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"Whistle:Federation:Partners:{i}:AllowPrivateNetwork"] = partners[i].AllowPrivate ? "true" : "false";
        }
        return new CustomApp(settings, db: db);
    }

    private static async Task<HashSet<string>> IdentifiersAsync(HttpClient dispatcher, string partner) =>
        (await dispatcher.GetFromJsonAsync<JsonArray>($"/api/v1/federation/alerts?partner={Uri.EscapeDataString(partner)}"))!
            .Select(r => r!["identifier"]!.GetValue<string>()).ToHashSet();

    /// <summary>A link handler that holds the request until <paramref name="release"/> (or the caller gives up), counting who waits.</summary>
    private sealed class Hang(Task release)
    {
        private int _now;
        public int Now => Volatile.Read(ref _now);
        public int Max { get; private set; }
        private readonly object _lock = new();

        public Func<HttpContext, Task> Then(string body) => async ctx =>
        {
            lock (_lock) Max = Math.Max(Max, ++_now);
            try { await release.WaitAsync(ctx.RequestAborted); }
            catch (OperationCanceledException) { return; }
            finally { lock (_lock) _now--; }
            ctx.Response.ContentType = "application/cap+xml";
            await ctx.Response.WriteAsync(body);
        };
    }

    // §3 Seen: a partner whose CAP links answer slowly held every other partner's polling back (one round waited for all).
    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task A_partner_whose_CAP_links_hang_does_not_hold_back_another_partners_new_alert(Db db)
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hang = new Hang(release.Task);
        // The slow partner: twelve linked messages, each link hanging (600 s timeout each: two hours in all, one after another).
        feeds.Serve("/slow.atom", Feed("slow", Enumerable.Range(1, 12).Select(i => new Entry($"slow-{i}", Cap("slow", $"slow-{i}"), Embed: false)).ToArray()));
        for (int i = 1; i <= 12; i++) feeds.Handle($"/cap/slow-{i}.cap", hang.Then(Cap("slow", $"slow-{i}")));
        feeds.Serve("/fast.atom", Feed("fast", new Entry("fast-1", Cap("fast", "fast-1"))));
        try
        {
            using var app = App(db, new()
            {
                ["Whistle:Federation:Enabled"] = "true", // the real background loop
                ["Whistle:Federation:TimeoutSeconds"] = "600",
                ["Whistle:Federation:PollBudgetSeconds"] = "600",
                ["Whistle:Federation:MaxParallelFetches"] = "4",
            }, new Partner("slow", feeds.Url + "/slow.atom", PollSeconds: 1), new Partner("fast", feeds.Url + "/fast.atom", PollSeconds: 1));
            var dispatcher = await app.StaffAsync("dispatcher");

            await WhistleApp.EventuallyAsync(() => Task.FromResult(hang.Now), n => n >= 1, "the slow partner's links to hang");
            await WhistleApp.EventuallyAsync(() => IdentifiersAsync(dispatcher, "fast"), ids => ids.Contains("fast-1"), "the fast partner's first alert");

            // The fast partner publishes while the slow one is stuck: it is in within seconds, not after the slow partner's two hours.
            var published = Stopwatch.StartNew();
            feeds.Serve("/fast.atom", Feed("fast", new Entry("fast-2", Cap("fast", "fast-2", 5)), new Entry("fast-1", Cap("fast", "fast-1"))));
            await WhistleApp.EventuallyAsync(() => IdentifiersAsync(dispatcher, "fast"), ids => ids.Contains("fast-2"),
                "the fast partner's new alert while the slow partner hangs", timeoutMs: 15_000);
            Assert.True(published.Elapsed < TimeSpan.FromSeconds(15), $"took {published.Elapsed}");
            Assert.False(release.Task.IsCompleted);
            Assert.Empty(await IdentifiersAsync(dispatcher, "slow"));

            // The slow partner's links are fetched a few at a time, never more.
            await WhistleApp.EventuallyAsync(() => Task.FromResult(hang.Now), n => n == 4, "four of the slow partner's links at once");
            Assert.Equal(4, hang.Max);

            // The partners view says which partner is slow: the slow one still polling, the fast one's last poll short.
            var partners = (await dispatcher.GetFromJsonAsync<JsonArray>("/api/v1/federation/partners"))!;
            var slow = partners.Single(p => p!["name"]!.GetValue<string>() == "slow")!;
            var fast = partners.Single(p => p!["name"]!.GetValue<string>() == "fast")!;
            Assert.NotNull(slow["pollingSince"]?.GetValue<DateTimeOffset>());
            Assert.True(fast["lastPollSeconds"]!.GetValue<double>() < 10, fast.ToJsonString());
            Assert.Equal(0, fast["timeouts"]!.GetValue<int>());
        }
        finally
        {
            release.TrySetResult();
        }
    }

    // §3: a poll has a time budget; what is not fetched in it waits for the next poll (the feed is read again, not 304'd).
    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task A_poll_stops_at_its_time_budget_keeps_what_it_fetched_and_the_next_poll_takes_the_rest(Db db)
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hang = new Hang(release.Task);
        var entries = Enumerable.Range(1, 6).Select(i => new Entry($"b-{i}", Cap("budget", $"b-{i}", i), Embed: false)).ToArray();
        feeds.Serve("/budget.atom", Feed("budget", entries), etag: "\"v1\"");
        // Links come in feed order; two at a time: the first two answer, the next two hang past the budget, the last two wait.
        for (int i = 1; i <= 6; i++)
            if (i <= 2) feeds.Serve($"/cap/b-{i}.cap", Cap("budget", $"b-{i}", i), "application/cap+xml");
            else feeds.Handle($"/cap/b-{i}.cap", hang.Then(Cap("budget", $"b-{i}", i)));
        try
        {
            using var app = App(db, new()
            {
                ["Whistle:Federation:Enabled"] = "false",
                ["Whistle:Federation:TimeoutSeconds"] = "600",
                ["Whistle:Federation:PollBudgetSeconds"] = "3",
                ["Whistle:Federation:MaxParallelFetches"] = "2",
            }, new Partner("budget", feeds.Url + "/budget.atom"));
            var dispatcher = await app.StaffAsync("dispatcher");

            var took = Stopwatch.StartNew();
            await FederationTests.PollAsync(app).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(took.Elapsed < TimeSpan.FromSeconds(30), $"the poll took {took.Elapsed}");
            Assert.Equal(["b-1", "b-2"], (await IdentifiersAsync(dispatcher, "budget")).Order());
            var status = await FederationTests.StatusAsync(dispatcher, "budget");
            Assert.True(status["lastBudgetRanOut"]!.GetValue<bool>(), status.ToJsonString());
            Assert.Contains("time budget", status["lastError"]!.GetValue<string>());
            Assert.True(status["lastPollSeconds"]!.GetValue<double>() < 30, status.ToJsonString());
            Assert.Equal(2, hang.Max);

            release.TrySetResult();
            await FederationTests.PollAsync(app).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(6, (await IdentifiersAsync(dispatcher, "budget")).Count);
            var feedReads = feeds.Requests.Where(r => r.Path == "/budget.atom").ToList();
            Assert.Equal(2, feedReads.Count);
            Assert.Null(feedReads[1].IfNoneMatch); // the validators of the cut-short poll were not kept
            Assert.Equal(200, feedReads[1].Status);
            status = await FederationTests.StatusAsync(dispatcher, "budget");
            Assert.False(status["lastBudgetRanOut"]!.GetValue<bool>(), status.ToJsonString());
            Assert.Equal(1, status["budgetRanOutCount"]!.GetValue<int>());
        }
        finally
        {
            release.TrySetResult();
        }
    }

    // §1 (bytes): one poll reads at most MaxPollBytes over the feed and all its links, and one CAP message at most MaxMessageBytes.
    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task A_poll_reads_no_more_than_its_byte_budget_and_a_message_no_more_than_its_own_cap(Db db)
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        string Padded(string id) => Cap("bytes", id) + new string(' ', 10_000); // ~11 kB each, well under the feed cap
        var entries = Enumerable.Range(1, 10).Select(i => new Entry($"y-{i}", Padded($"y-{i}"), Embed: false)).ToArray();
        feeds.Serve("/bytes.atom", Feed("bytes", entries));
        for (int i = 1; i <= 10; i++) feeds.Serve($"/cap/y-{i}.cap", Padded($"y-{i}"), "application/cap+xml");
        feeds.Serve("/big.atom", Feed("big", new Entry("z-1", "", Embed: false)));
        feeds.Serve("/cap/z-1.cap", Cap("big", "z-1") + new string(' ', 40_000), "application/cap+xml"); // under MaxFeedBytes, over MaxMessageBytes

        using var app = App(db, new()
        {
            ["Whistle:Federation:Enabled"] = "false",
            ["Whistle:Federation:MaxFeedBytes"] = "100000",
            ["Whistle:Federation:MaxMessageBytes"] = "30000",
            ["Whistle:Federation:MaxPollBytes"] = "50000",
            ["Whistle:Federation:MaxParallelFetches"] = "1",
        }, new Partner("bytes", feeds.Url + "/bytes.atom"), new Partner("big", feeds.Url + "/big.atom"));
        var dispatcher = await app.StaffAsync("dispatcher");
        await FederationTests.PollAsync(app);

        var taken = await IdentifiersAsync(dispatcher, "bytes");
        Assert.InRange(taken.Count, 1, 4); // ~50 kB: the feed and about four messages, not ten
        var status = await FederationTests.StatusAsync(dispatcher, "bytes");
        Assert.Contains("byte budget", status["lastError"]!.GetValue<string>());
        Assert.True(status["lastBudgetRanOut"]!.GetValue<bool>(), status.ToJsonString());

        Assert.Empty(await IdentifiersAsync(dispatcher, "big"));
        Assert.Contains("entry 1: larger than 30000 bytes", (await FederationTests.StatusAsync(dispatcher, "big"))["lastError"]!.GetValue<string>());
    }

    // §4 Seen: partner-supplied addresses reached loopback, link-local and private services, and the outcome was shown to staff.
    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task A_partners_feed_on_an_inside_address_is_never_requested_and_staff_see_only_address_not_allowed(Db db)
    {
        await using var inside = await PartnerFeeds.StartAsync(); // an internal service that records every hit
        inside.Handle("/admin", ctx => { ctx.Response.StatusCode = 403; return ctx.Response.WriteAsync("internal admin console"); });
        inside.Serve("/feed.atom", Feed("private", new Entry("p-1", Cap("private", "p-1"))));
        var port = new Uri(inside.Url).Port;

        using var app = App(db, new()
        {
            ["Whistle:Federation:Enabled"] = "false",
            ["Whistle:Federation:TimeoutSeconds"] = "600", // a refusal is immediate: no connection is tried
        },
            new Partner("loopback", $"http://127.0.0.1:{port}/admin", AllowPrivate: false),
            new Partner("by-name", $"http://localhost:{port}/admin", AllowPrivate: false),
            new Partner("mapped-v6", $"http://[::ffff:127.0.0.1]:{port}/admin", AllowPrivate: false),
            new Partner("metadata", "http://169.254.169.254/latest/meta-data/", AllowPrivate: false),
            new Partner("lan", "http://10.0.0.5/admin", AllowPrivate: false),
            new Partner("private", $"http://127.0.0.1:{port}/feed.atom", AllowPrivate: true));
        var dispatcher = await app.StaffAsync("dispatcher");

        var took = Stopwatch.StartNew();
        await FederationTests.PollAsync(app).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(took.Elapsed < TimeSpan.FromSeconds(30), $"the poll took {took.Elapsed}");

        Assert.Equal(0, inside.Count("/admin")); // the internal service saw no request at all
        foreach (var partner in new[] { "loopback", "by-name", "mapped-v6", "metadata", "lan" })
        {
            var status = await FederationTests.StatusAsync(dispatcher, partner);
            Assert.Equal("address not allowed", status["lastError"]!.GetValue<string>());
        }
        var body = await (await dispatcher.GetAsync("/api/v1/federation/partners")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("internal admin console", body);
        Assert.DoesNotContain("HTTP", body);
        Assert.DoesNotContain("ConnectionError", body);

        // A partner configured as private still works against its loopback server.
        Assert.Equal(["p-1"], await IdentifiersAsync(dispatcher, "private"));
        Assert.True((await FederationTests.StatusAsync(dispatcher, "private"))["privateNetwork"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("10.0.0.5")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.1")]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("100.64.0.1")]
    [InlineData("::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.0.0.5")]
    public void The_federation_connection_rule_refuses_inside_addresses(string address) =>
        Assert.False(SubscriberEndpoints.IsPublic(IPAddress.Parse(address)));
}
