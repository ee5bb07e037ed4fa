using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Federation;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Federation in: partner networks' CAP Atom feeds, served by a local web server, followed by Whistle —
/// shown on the public map with the partner's name, updated, cancelled, deduplicated, polled conditionally,
/// and relayed by a dispatcher to the local subscribers inside the partner's area.
/// </summary>
public sealed class FederationTests
{
    public const string Northside = "Northside Rapid Response";
    public const string Sender = "alerts@northside.example.org";

    internal static CustomApp App(params (string Name, string FeedUrl)[] partners) => App(Db.Sqlite, partners);

    internal static CustomApp App(Db db, params (string Name, string FeedUrl)[] partners)
    {
        var settings = new Dictionary<string, string?> { ["Whistle:Federation:Enabled"] = "false" };
        for (int i = 0; i < partners.Length; i++)
        {
            settings[$"Whistle:Federation:Partners:{i}:Name"] = partners[i].Name;
            settings[$"Whistle:Federation:Partners:{i}:FeedUrl"] = partners[i].FeedUrl;
            settings[$"Whistle:Federation:Partners:{i}:AllowPrivateNetwork"] = "true"; // the fake partners are on loopback
        }
        return new CustomApp(settings, db: db);
    }

    internal static Task PollAsync(WhistleApp app) => app.Services.GetRequiredService<FederationPoller>().RunOnceAsync(default);

    internal static async Task<JsonArray> PublicAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonObject>("/api/v1/partner-alerts"))!["features"]!.AsArray();

    internal static async Task<JsonObject> StatusAsync(HttpClient dispatcher, string partner) =>
        (await dispatcher.GetFromJsonAsync<JsonArray>("/api/v1/federation/partners"))!.Single(p => p!["name"]!.GetValue<string>() == partner)!.AsObject();

    internal static async Task<List<JsonObject>> RowsAsync(HttpClient dispatcher) =>
        (await dispatcher.GetFromJsonAsync<JsonArray>("/api/v1/federation/alerts"))!.Select(r => r!.AsObject()).ToList();

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly DateTimeOffset Sent1 = DateTimeOffset.FromUnixTimeSeconds(Now.AddMinutes(-30).ToUnixTimeSeconds());

    private static string Alert1 => Message("ns-2026-001", Sender, Sent1, expires: Now.AddHours(3), infos:
    [
        En("ICE checkpoint at Lake St and Bloomington Ave"),
        Es("Retén de ICE en Lake St y Bloomington Ave"),
    ]);

    private static string Update1 => Message("ns-2026-002", Sender, Sent1.AddMinutes(10), "Update",
        references: Reference(Sender, "ns-2026-001", Sent1), expires: Now.AddHours(3), infos:
        [
            En("Checkpoint moved to Lake St and Chicago Ave", circle: "44.9483,-93.2626 1.0"),
            Es("El retén se movió a Lake St y Chicago Ave", circle: "44.9483,-93.2626 1.0"),
        ]);

    private static string Cancel1 => Message("ns-2026-003", Sender, Sent1.AddMinutes(20), "Cancel",
        references: $"{Reference(Sender, "ns-2026-001", Sent1)} {Reference(Sender, "ns-2026-002", Sent1.AddMinutes(10))}",
        infos: [En("All clear: the checkpoint has ended")]);

    [Fact]
    public Task A_partner_alert_shows_with_the_partners_name_its_update_replaces_it_and_its_cancel_ends_it() => ShowUpdateCancelAsync(Db.Sqlite);

    internal static async Task ShowUpdateCancelAsync(Db db)
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = App(db, (Northside, feeds.Url + "/feeds/alerts.atom"));
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");

        feeds.Serve("/feeds/alerts.atom", Feed(Northside, new Entry("ns-2026-001", Alert1)));
        await PollAsync(app);
        var shown = await PublicAsync(client);
        var feature = Assert.Single(shown)!;
        Assert.Equal(Northside, feature["properties"]!["partner"]!.GetValue<string>());
        Assert.Equal("Retén de ICE en Lake St y Bloomington Ave", feature["properties"]!["headlines"]!["es"]!.GetValue<string>());
        Assert.Equal("ICE checkpoint at Lake St and Bloomington Ave", feature["properties"]!["headlines"]!["en"]!.GetValue<string>());
        Assert.Equal("Point", feature["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal(1500, feature["properties"]!["radiusMeters"]!.GetValue<double>());
        var lonLat = feature["geometry"]!["coordinates"]!.AsArray().Select(c => c!.GetValue<double>()).ToArray();
        Assert.InRange(lonLat[0], -93.258, -93.253); // [lon, lat], as RFC 7946 orders them
        Assert.InRange(lonLat[1], 44.947, 44.950);

        // The home page lists it as the partner's, in the visitor's language (Spanish here), English where there is none.
        var es = WebUtility.HtmlDecode(await client.GetStringAsync("/?lang=es"));
        Assert.Contains($"De {Northside}: Retén de ICE en Lake St y Bloomington Ave", es);
        var so = WebUtility.HtmlDecode(await client.GetStringAsync("/?lang=so"));
        Assert.Contains($"Ka {Northside}: ICE checkpoint at Lake St and Bloomington Ave", so);

        // The update (only linked from its entry: fetched from the application/cap+xml link) replaces it.
        feeds.Serve("/feeds/cap/ns-2026-002.cap", Update1, "application/cap+xml");
        feeds.Serve("/feeds/alerts.atom", Feed(Northside, new Entry("ns-2026-002", Update1, Embed: false), new Entry("ns-2026-001", Alert1)));
        await PollAsync(app);
        feature = Assert.Single(await PublicAsync(client))!;
        Assert.Equal("El retén se movió a Lake St y Chicago Ave", feature["properties"]!["headlines"]!["es"]!.GetValue<string>());
        Assert.Equal(1000, feature["properties"]!["radiusMeters"]!.GetValue<double>());
        Assert.Equal(1, feeds.Count("/feeds/cap/ns-2026-002.cap"));
        var rows = await RowsAsync(dispatcher);
        Assert.Equal("superseded", rows.Single(r => r["identifier"]!.GetValue<string>() == "ns-2026-001")["state"]!.GetValue<string>());
        Assert.Equal("active", rows.Single(r => r["identifier"]!.GetValue<string>() == "ns-2026-002")["state"]!.GetValue<string>());

        // The cancel ends the chain: nothing is shown.
        feeds.Serve("/feeds/alerts.atom", Feed(Northside, new Entry("ns-2026-003", Cancel1), new Entry("ns-2026-002", Update1, Embed: false),
            new Entry("ns-2026-001", Alert1)));
        await PollAsync(app);
        Assert.Empty(await PublicAsync(client));
        Assert.DoesNotContain(Northside, WebUtility.HtmlDecode(await client.GetStringAsync("/?lang=en")).Split("partner-alerts")[1]);
        rows = await RowsAsync(dispatcher);
        Assert.Equal("cancelled", rows.Single(r => r["identifier"]!.GetValue<string>() == "ns-2026-002")["state"]!.GetValue<string>());
        Assert.All(rows, r => Assert.False(r["shown"]!.GetValue<bool>()));
        Assert.Equal(1, feeds.Count("/feeds/cap/ns-2026-002.cap")); // held already: not fetched again

        var status = await StatusAsync(dispatcher, Northside);
        Assert.Equal(3, status["imported"]!.GetValue<int>());
        Assert.Equal(0, status["errorCount"]!.GetValue<int>());
        Assert.NotNull(status["lastSuccessAt"]);

        // Partner status and the dispatcher's list are for dispatchers only.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/federation/partners")).StatusCode);
        var verifier = await app.StaffAsync("verifier");
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.GetAsync("/api/v1/federation/alerts")).StatusCode);
    }

    /// <summary>
    /// Twice in a feed and across polls: once. Across partners each keeps its own copy under its own name (issue 14 §2,
    /// decision 0033): one partner's message never pre-empts another's with the same sender and identifier.
    /// </summary>
    [Fact]
    public async Task The_same_message_twice_in_a_feed_and_across_polls_is_imported_once_per_partner()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = App((Northside, feeds.Url + "/a.atom"), ("Mirror network", feeds.Url + "/b.atom"));
        var dispatcher = await app.StaffAsync("dispatcher");
        feeds.Serve("/a.atom", Feed(Northside, new Entry("ns-2026-001", Alert1), new Entry("ns-2026-001", Alert1)));
        feeds.Serve("/b.atom", Feed("Mirror", new Entry("ns-2026-001", Alert1)));

        await PollAsync(app);
        await PollAsync(app);

        var rows = await RowsAsync(dispatcher);
        Assert.Single(rows, r => r["identifier"]!.GetValue<string>() == "ns-2026-001" && r["partner"]!.GetValue<string>() == Northside);
        Assert.Single(rows, r => r["identifier"]!.GetValue<string>() == "ns-2026-001" && r["partner"]!.GetValue<string>() == "Mirror network");
        Assert.Equal([Northside, "Mirror network"], (await PublicAsync(app.CreateClient())).Select(f => f!["properties"]!["partner"]!.GetValue<string>()).Order().Reverse());
        Assert.Equal(1, (await StatusAsync(dispatcher, Northside))["imported"]!.GetValue<int>());
        Assert.Equal(1, (await StatusAsync(dispatcher, "Mirror network"))["imported"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_unchanged_feed_is_asked_for_conditionally_answered_304_and_nothing_changes()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = App((Northside, feeds.Url + "/feed"));
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var modified = new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);
        feeds.Serve("/feed", Feed(Northside, new Entry("ns-2026-001", Alert1)), etag: "\"v1\"", lastModified: modified);

        await PollAsync(app);
        var before = (await PublicAsync(client)).ToJsonString();
        await PollAsync(app);

        var requests = feeds.Requests.Where(r => r.Path == "/feed").ToList();
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].IfNoneMatch);
        Assert.Equal((200, 304), (requests[0].Status, requests[1].Status));
        Assert.Equal("\"v1\"", requests[1].IfNoneMatch);
        Assert.Equal(modified, DateTimeOffset.Parse(requests[1].IfModifiedSince!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(before, (await PublicAsync(client)).ToJsonString());
        var status = await StatusAsync(dispatcher, Northside);
        Assert.Equal(1, status["notModifiedCount"]!.GetValue<int>());
        Assert.Equal(1, status["imported"]!.GetValue<int>());
        Assert.Equal(0, status["errorCount"]!.GetValue<int>());
    }

    [Fact]
    public Task A_dispatcher_relays_a_partner_alert_to_the_local_subscribers_inside_its_area_only_and_the_partners_cancel_ends_it() =>
        RelayAsync(Db.Sqlite);

    internal static async Task RelayAsync(Db db)
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = App(db, (Northside, feeds.Url + "/feed"));
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        await app.SubscribeAsync(client, "email", "inside@example.org", "es", circle: new { lat = 44.9490, lon = -93.2560, radiusMeters = 200 });
        await app.SubscribeAsync(client, "email", "outside@example.org", "en", circle: new { lat = 45.05, lon = -93.10, radiusMeters = 200 });
        feeds.Serve("/feed", Feed(Northside, new Entry("ns-2026-001", Alert1)));
        await PollAsync(app);
        var row = (await RowsAsync(dispatcher)).Single();
        var id = row["id"]!.GetValue<Guid>();

        // Seeing is not sending: nothing goes out until a dispatcher relays it.
        Assert.DoesNotContain(app.Outbox(), l => l.AlertId is not null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync($"/api/v1/federation/alerts/{id}/relay", null)).StatusCode);

        var res = await dispatcher.PostAsync($"/api/v1/federation/alerts/{id}/relay", null);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var local = (await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        await WhistleApp.DeliveredAsync(dispatcher, local);
        var sent = app.Outbox().Where(l => l.AlertId == local).ToList();
        var line = Assert.Single(sent);
        Assert.Equal("inside@example.org", line.Recipient);
        Assert.Equal("es", line.Language);
        Assert.StartsWith($"De {Northside}: Retén de ICE en Lake St y Bloomington Ave", line.Text);

        // Recorded: who relayed it; a second relay is refused; the public map shows it once (as the local alert).
        row = (await RowsAsync(dispatcher)).Single();
        Assert.Equal(local, row["relayedAlertId"]!.GetValue<Guid>());
        Assert.False(string.IsNullOrEmpty(row["relayedBy"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsync($"/api/v1/federation/alerts/{id}/relay", null)).StatusCode);
        Assert.Empty(await PublicAsync(client));
        var active = (await client.GetFromJsonAsync<JsonObject>("/api/v1/alerts/active"))!["features"]!.AsArray();
        Assert.Contains(active, f => f!["properties"]!["id"]!.GetValue<Guid>() == local);

        // The partner cancels: the dispatcher sees the chain changed, and the relayed alert ends (all clear to who got it).
        feeds.Serve("/feed", Feed(Northside, new Entry("ns-2026-003", Message("ns-2026-003", Sender, Sent1.AddMinutes(20), "Cancel",
            references: Reference(Sender, "ns-2026-001", Sent1), infos: [En("All clear")])), new Entry("ns-2026-001", Alert1)));
        await PollAsync(app);
        var rows = await RowsAsync(dispatcher);
        Assert.True(rows.Single(r => r["identifier"]!.GetValue<string>() == "ns-2026-001")["changedSinceRelay"]!.GetValue<bool>());
        var alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{local}"))!;
        Assert.Equal("cancelled", alert["state"]!.GetValue<string>());
        var allClear = await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().Where(l => l.AlertId != local && l.AlertId is not null).ToList()),
            l => l.Count > 0, "the all-clear to the relayed alert's recipients");
        Assert.Equal(["inside@example.org"], allClear.Select(l => l.Recipient));
    }
}

/// <summary>The same on PostgreSQL (needs the cluster ./test.sh starts).</summary>
public sealed class PostgresFederationTests
{
    [Fact]
    public Task A_partner_alert_shows_its_update_replaces_it_and_its_cancel_ends_it_on_PostgreSQL() => FederationTests.ShowUpdateCancelAsync(Db.Postgres);

    [Fact]
    public Task A_dispatcher_relays_a_partner_alert_to_subscribers_inside_its_area_on_PostgreSQL() => FederationTests.RelayAsync(Db.Postgres);
}
