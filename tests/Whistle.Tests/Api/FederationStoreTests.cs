using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 14 §1–§2: a compromised partner attacks what is stored and shown — polygon floods, another partner's
/// identifiers, future dates and far expiries, staying public after removal. Each test performs the attack over HTTP
/// against local partner feeds and checks the other partner's alert and the public outputs (SQLite and PostgreSQL).
/// </summary>
public static class FederationStore
{
    public const string Good = "Good Neighbours";
    public const string Evil = "Eastside Network";
    public static string GoodSender => "alerts@good.example.org";
    public static string EvilSender => "alerts@eastside.example.org";
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    public static DateTimeOffset Ago(int minutes) => DateTimeOffset.FromUnixTimeSeconds(Now.AddMinutes(-minutes).ToUnixTimeSeconds());

    /// <summary>An app following the partners (name, feed path, senders, enabled), with extra settings.</summary>
    public static CustomApp App(Db db, PartnerFeeds feeds, (string Name, string Path, string[] Senders, bool Enabled)[] partners,
        Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?> { ["Whistle:Federation:Enabled"] = "false" };
        for (int i = 0; i < partners.Length; i++)
        {
            settings[$"Whistle:Federation:Partners:{i}:Name"] = partners[i].Name;
            settings[$"Whistle:Federation:Partners:{i}:FeedUrl"] = feeds.Url + partners[i].Path;
            settings[$"Whistle:Federation:Partners:{i}:Enabled"] = partners[i].Enabled ? "true" : "false";
            settings[$"Whistle:Federation:Partners:{i}:AllowPrivateNetwork"] = "true"; // the fake partners are on loopback
            for (int s = 0; s < partners[i].Senders.Length; s++) settings[$"Whistle:Federation:Partners:{i}:Senders:{s}"] = partners[i].Senders[s];
        }
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return new CustomApp(settings, db: db);
    }

    /// <summary>A ring of <paramref name="points"/> points around a centre (~1 km), every other one pushed out by
    /// <paramref name="zigzag"/> degrees: a saw-tooth border no simplifier can smooth away.</summary>
    public static string Ring(double lat, double lon, int points, int seed, double zigzag = 0.002)
    {
        var rnd = new Random(seed);
        var sb = new StringBuilder();
        string first = "";
        for (int i = 0; i < points - 1; i++)
        {
            double a = 2 * Math.PI * i / (points - 1), r = 0.01 + (i % 2 == 0 ? zigzag : 0) + rnd.NextDouble() * 0.00005;
            var p = string.Create(CultureInfo.InvariantCulture, $"{lat + r * Math.Sin(a):F6},{lon + r * Math.Cos(a):F6}");
            if (i == 0) first = p;
            sb.Append(p).Append(' ');
        }
        return sb.Append(first).ToString();
    }

    /// <summary>A CAP alert with several big polygons in one area.</summary>
    public static string PolygonFlood(string id, string sender, DateTimeOffset sent, int polygons, int points)
    {
        var sb = new StringBuilder();
        sb.Append($"<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>{id}</identifier><sender>{sender}</sender><sent>{Time(sent)}</sent>");
        sb.Append("<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>");
        sb.Append("<info><language>en-US</language><category>Safety</category><event>Immigration enforcement activity</event>");
        sb.Append("<urgency>Immediate</urgency><severity>Moderate</severity><certainty>Observed</certainty>");
        sb.Append($"<expires>{Time(sent.AddHours(3))}</expires><headline>Flood {id}</headline><description>x</description><area><areaDesc>Everywhere</areaDesc>");
        for (int i = 0; i < polygons; i++) sb.Append($"<polygon>{Ring(44.95 + i * 0.001, -93.26, points, id.GetHashCode() + i)}</polygon>");
        sb.Append("</area></info></alert>");
        return sb.ToString();
    }

    public static async Task<(byte[] Body, string? ETag, HttpStatusCode Status)> RawPublicAsync(HttpClient client, string? ifNoneMatch = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/partner-alerts");
        if (ifNoneMatch is not null) req.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        using var res = await client.SendAsync(req);
        return (await res.Content.ReadAsByteArrayAsync(), res.Headers.ETag?.ToString(), res.StatusCode);
    }

    public static List<string> Partners(JsonArray features) => features.Select(f => f!["properties"]!["partner"]!.GetValue<string>()).ToList();

    public static async Task<long> StoredVerticesAsync(WhistleApp app, string partner)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
        return db.PartnerAlerts.Where(p => p.Partner == partner).AsEnumerable().Sum(p => (long)p.Area.Polygons.Sum(r => r.Length) + p.Area.Circles.Count);
    }
}

public abstract class FederationStoreTests(Db db)
{
    /// <summary>§1 Seen: dozens of messages, each with 2,000-point polygons behind its own link, all imported and all served.</summary>
    [Fact]
    public async Task A_partner_flooding_polygons_is_held_to_its_budget_and_the_public_answer_stays_small_with_an_ETag()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = FederationStore.App(db, feeds, [(FederationStore.Good, "/good", [], true), (FederationStore.Evil, "/evil", [], true)]);
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        feeds.Serve("/good", Feed("good", new Entry("g-1", Message("g-1", FederationStore.GoodSender, FederationStore.Ago(10),
            expires: FederationStore.Now.AddHours(2), infos: [En("Checkpoint on Lake St")]))));
        var entries = new List<Entry>();
        for (int i = 0; i < 24; i++)
        {
            var cap = FederationStore.PolygonFlood($"e-{i}", FederationStore.EvilSender, FederationStore.Ago(20 - i / 2), polygons: 4, points: 2000);
            feeds.Serve($"/cap/e-{i}.cap", cap, "application/cap+xml");
            entries.Add(new Entry($"e-{i}", cap, Embed: false));
        }
        feeds.Serve("/evil", Feed("evil", [.. entries]));

        await FederationTests.PollAsync(app);

        // Stored: each ring simplified to what a map needs, and the partner's total held to its budget.
        Assert.InRange(await FederationStore.StoredVerticesAsync(app, FederationStore.Evil), 1, 10_000);
        var (body, etag, status) = await FederationStore.RawPublicAsync(client);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange(body.Length, 1, 1024 * 1024); // PublicMaxBytes; the old code answered ~8 MB here
        var features = JsonNode.Parse(body)!["features"]!.AsArray();
        Assert.Contains(FederationStore.Good, FederationStore.Partners(features));
        Assert.All(features.Where(f => f!["geometry"]!["type"]!.GetValue<string>() == "Polygon"),
            f => Assert.InRange(f!["geometry"]!["coordinates"]![0]!.AsArray().Count, 4, 500));

        // Over-budget messages were refused with a reason the dispatcher sees.
        var evil = await FederationTests.StatusAsync(dispatcher, FederationStore.Evil);
        Assert.Contains("at most", evil["lastError"]!.GetValue<string>());

        // The same answer again: a strong ETag, and 304 with no body when the client has it.
        Assert.NotNull(etag);
        Assert.False(etag!.StartsWith("W/", StringComparison.Ordinal));
        var again = await FederationStore.RawPublicAsync(client, etag);
        Assert.Equal(HttpStatusCode.NotModified, again.Status);
        Assert.Empty(again.Body);
    }

    /// <summary>§2 Seen: partner A sent B's sender and identifier first; B's real alert was dropped and A's shown in its place.</summary>
    [Fact]
    public async Task A_partner_using_another_partners_sender_and_identifier_cannot_pre_empt_or_replace_its_alert()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        const string Open = "Open Partner"; // configured with no senders: it may use any, but only under its own name
        using var app = FederationStore.App(db, feeds, [(FederationStore.Evil, "/evil", [FederationStore.EvilSender], true),
            (Open, "/open", [], true), (FederationStore.Good, "/good", [FederationStore.GoodSender], true)]);
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var sent = FederationStore.Ago(15);
        var fake = Message("g-100", FederationStore.GoodSender, sent, expires: FederationStore.Now.AddHours(2), infos: [En("All clear: nothing on Lake St")]);
        feeds.Serve("/evil", Feed("evil", new Entry("g-100", fake)));
        feeds.Serve("/open", Feed("open", new Entry("g-100", fake)));
        await FederationTests.PollAsync(app); // the impostors first (the good feed is still empty)
        feeds.Serve("/good", Feed("good", new Entry("g-100", Message("g-100", FederationStore.GoodSender, sent,
            expires: FederationStore.Now.AddHours(2), infos: [En("ICE checkpoint on Lake St")]))));
        await FederationTests.PollAsync(app);

        var features = await FederationTests.PublicAsync(client);
        var good = Assert.Single(features, f => f!["properties"]!["partner"]!.GetValue<string>() == FederationStore.Good)!;
        Assert.Equal("ICE checkpoint on Lake St", good["properties"]!["headlines"]!["en"]!.GetValue<string>());
        Assert.DoesNotContain(FederationStore.Evil, FederationStore.Partners(features));
        // The open partner's copy is shown only as its own (never under the good partner's name).
        Assert.All(features.Where(f => f!["properties"]!["headlines"]!["en"]!.GetValue<string>().StartsWith("All clear", StringComparison.Ordinal)),
            f => Assert.Equal(Open, f!["properties"]!["partner"]!.GetValue<string>()));
        Assert.Contains("not one this partner is configured to speak for",
            (await FederationTests.StatusAsync(dispatcher, FederationStore.Evil))["lastError"]!.GetValue<string>());

        // An impostor's cancel of the good partner's message resolves only among its own messages: the alert stays.
        feeds.Serve("/open", Feed("open", new Entry("x-cancel", Message("x-cancel", FederationStore.GoodSender, FederationStore.Ago(5), "Cancel",
            references: Reference(FederationStore.GoodSender, "g-100", sent), infos: [En("All clear")])), new Entry("g-100", fake)));
        await FederationTests.PollAsync(app);
        Assert.Contains(await FederationTests.PublicAsync(client), f => f!["properties"]!["partner"]!.GetValue<string>() == FederationStore.Good);
    }

    /// <summary>§2 Seen: 200 messages dated in the future with a 2099 expiry pushed the other partners off the public list.</summary>
    [Fact]
    public async Task Future_dated_far_expiring_messages_are_refused_or_clamped_and_cannot_push_another_partner_off_the_list()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = FederationStore.App(db, feeds, [(FederationStore.Good, "/good", [], true), (FederationStore.Evil, "/evil", [], true)]);
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        feeds.Serve("/good", Feed("good", new Entry("g-1", Message("g-1", FederationStore.GoodSender, FederationStore.Ago(30),
            expires: FederationStore.Now.AddHours(2), infos: [En("Checkpoint on Lake St")]))));
        var far = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var future = DateTimeOffset.FromUnixTimeSeconds(FederationStore.Now.AddMinutes(40).ToUnixTimeSeconds());
        var present = FederationStore.Ago(1);
        var entries = Enumerable.Range(0, 200).Select(i => new Entry($"f-{i}", Message($"f-{i}", FederationStore.EvilSender,
            i < 100 ? future : present, expires: far, infos: [En($"Flood {i}")]))).ToArray();
        feeds.Serve("/evil", Feed("evil", entries));
        await FederationTests.PollAsync(app);

        var features = await FederationTests.PublicAsync(client);
        var partners = FederationStore.Partners(features);
        Assert.Contains(FederationStore.Good, partners); // never starved
        Assert.InRange(partners.Count(p => p == FederationStore.Evil), 1, 25);
        Assert.All(features, f => Assert.True(f!["properties"]!["sentAt"]!.GetValue<DateTimeOffset>() <= DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.All(features, f => Assert.True(f!["properties"]!["expiresAt"]!.GetValue<DateTimeOffset>() <= DateTimeOffset.UtcNow.AddHours(24).AddMinutes(1)));
        Assert.Contains("at most 50", (await FederationTests.StatusAsync(dispatcher, FederationStore.Evil))["lastError"]!.GetValue<string>());
        Assert.Contains(app.Logs, l => l.Contains("sent more than 5 minutes in the future", StringComparison.Ordinal));
        var home = WebUtility.HtmlDecode(await client.GetStringAsync("/?lang=en"));
        Assert.Contains("Checkpoint on Lake St", home);
    }

    /// <summary>§2 Seen: removing a partner from the configuration left its messages public, and nothing could remove them.</summary>
    [Fact]
    public async Task Disabling_or_removing_a_partner_withdraws_its_messages_from_every_public_output_at_once()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = FederationStore.App(db, feeds, [(FederationStore.Good, "/good", [], true), (FederationStore.Evil, "/evil", [], true)]);
        feeds.Serve("/good", Feed("good", new Entry("g-1", Message("g-1", FederationStore.GoodSender, FederationStore.Ago(30),
            expires: FederationStore.Now.AddHours(2), infos: [En("Checkpoint on Lake St")]))));
        feeds.Serve("/evil", Feed("evil", new Entry("e-1", Message("e-1", FederationStore.EvilSender, FederationStore.Ago(20),
            expires: FederationStore.Now.AddHours(2), infos: [En("Eastside says stay home")]))));
        await FederationTests.PollAsync(app);
        Assert.Contains(FederationStore.Evil, FederationStore.Partners(await FederationTests.PublicAsync(app.CreateClient())));

        var disabled = new Dictionary<string, string?>(app.Settings) { ["Whistle:Federation:Partners:1:Enabled"] = "false" };
        var removed = new Dictionary<string, string?>(app.Settings.Where(kv => !kv.Key.StartsWith("Whistle:Federation:Partners:1:", StringComparison.Ordinal)));
        foreach (var settings in new[] { disabled, removed })
        {
            using var restarted = new CustomApp(settings); // the same database, the new configuration, no poll
            var client = restarted.CreateClient();
            var partners = FederationStore.Partners(await FederationTests.PublicAsync(client));
            Assert.Equal([FederationStore.Good], partners);
            var home = WebUtility.HtmlDecode(await client.GetStringAsync("/?lang=en"));
            Assert.DoesNotContain("Eastside says stay home", home);
            Assert.Contains("Checkpoint on Lake St", home);
        }
    }

    /// <summary>§2: a dispatcher hides a partner's message with a reason: gone from every public output at once, recorded.</summary>
    [Fact]
    public async Task A_dispatcher_hides_a_partner_message_with_a_reason_and_it_leaves_the_public_outputs_at_once()
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = FederationStore.App(db, feeds, [(FederationStore.Good, "/good", [], true), (FederationStore.Evil, "/evil", [], true)]);
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        feeds.Serve("/good", Feed("good", new Entry("g-1", Message("g-1", FederationStore.GoodSender, FederationStore.Ago(30),
            expires: FederationStore.Now.AddHours(2), infos: [En("Checkpoint on Lake St")]))));
        feeds.Serve("/evil", Feed("evil", new Entry("e-1", Message("e-1", FederationStore.EvilSender, FederationStore.Ago(20),
            expires: FederationStore.Now.AddHours(2), infos: [En("Eastside says stay home")]))));
        await FederationTests.PollAsync(app);
        var (_, etag, _) = await FederationStore.RawPublicAsync(client);
        var id = (await FederationTests.RowsAsync(dispatcher)).Single(r => r["partner"]!.GetValue<string>() == FederationStore.Evil)["id"]!.GetValue<Guid>();

        // Only a dispatcher, and only with a reason.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync($"/api/v1/federation/alerts/{id}/hide", new { reason = "x" })).StatusCode);
        var verifier = await app.StaffAsync("verifier");
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync($"/api/v1/federation/alerts/{id}/hide", new { reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.PostAsJsonAsync($"/api/v1/federation/alerts/{id}/hide", new { reason = "  " })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dispatcher.PostAsJsonAsync($"/api/v1/federation/alerts/{Guid.NewGuid()}/hide", new { reason = "x" })).StatusCode);

        var res = await dispatcher.PostAsJsonAsync($"/api/v1/federation/alerts/{id}/hide", new { reason = "Partner hacked: false alarm" });
        Assert.Equal(HttpStatusCode.NoContent, res.StatusCode);
        Assert.Equal([FederationStore.Good], FederationStore.Partners(await FederationTests.PublicAsync(client)));
        Assert.DoesNotContain("Eastside says stay home", WebUtility.HtmlDecode(await client.GetStringAsync("/?lang=en")));
        Assert.Equal(HttpStatusCode.OK, (await FederationStore.RawPublicAsync(client, etag)).Status); // the old ETag no longer matches
        var row = (await FederationTests.RowsAsync(dispatcher)).Single(r => r["id"]!.GetValue<Guid>() == id);
        Assert.Equal("Partner hacked: false alarm", row["hiddenReason"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(row["hiddenBy"]!.GetValue<string>()));
        Assert.NotNull(row["hiddenAt"]);
        Assert.False(row["shown"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsync($"/api/v1/federation/alerts/{id}/relay", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await dispatcher.PostAsync($"/api/v1/federation/alerts/{id}/unhide", null)).StatusCode);
        Assert.Contains(FederationStore.Evil, FederationStore.Partners(await FederationTests.PublicAsync(client)));
    }
}

public sealed class FederationStoreTestsSqlite() : FederationStoreTests(Db.Sqlite);

public sealed class FederationStoreTestsPostgres() : FederationStoreTests(Db.Postgres);
