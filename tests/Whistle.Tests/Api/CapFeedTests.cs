using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Geo;
using Whistle.Tests.Unit;

namespace Whistle.Tests.Api;

/// <summary>CAP 1.2 per message (<c>/api/v1/alerts/{id}.cap</c>) and the Atom feed (<c>/feeds/alerts.atom</c>), over HTTP.</summary>
public sealed class CapFeedTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private static readonly XNamespace Cap = CapSchema.Ns;
    private const int MidtownPhillips = 86;

    internal static async Task<Guid> ConfirmedSightingAsync(WhistleApp app, HttpClient dispatcher, HttpClient verifier, GeoPoint at)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "workplace_raid", lat = at.Lat, lon = at.Lon, agents = 5, agency = "ice" });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var sighting = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        return Guid.Parse(sighting);
    }

    internal static async Task<Guid> CreatedAsync(Task<HttpResponseMessage> post)
    {
        var res = await post;
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    internal static XDocument ParseFeed(string xml)
    {
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        return XDocument.Load(reader);
    }

    internal static async Task<(XDocument Feed, HttpResponseMessage Response)> FeedAsync(HttpClient client)
    {
        var res = await client.GetAsync("/feeds/alerts.atom");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("application/atom+xml", res.Content.Headers.ContentType!.MediaType);
        return (ParseFeed(await res.Content.ReadAsStringAsync()), res);
    }

    internal static List<string> EntryIds(XDocument feed) =>
        feed.Root!.Elements(Atom + "entry").Select(e => e.Element(Atom + "id")!.Value).ToList();

    [Fact]
    public async Task The_cap_route_is_anonymous_and_valid_and_the_dispatchers_route_beside_it_still_needs_a_token()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var sighting = await ConfirmedSightingAsync(app, dispatcher, verifier, new GeoPoint(44.9485, -93.2555));
        var id = await CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId = sighting, circle = new { lat = 44.9485, lon = -93.2555, radiusMeters = 800 } }));
        var anonymous = app.CreateClient();

        var res = await anonymous.GetAsync($"/api/v1/alerts/{id}.cap");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("application/cap+xml", res.Content.Headers.ContentType!.MediaType);
        var cap = CapSchema.Valid(await res.Content.ReadAsStringAsync());
        Assert.Equal($"urn:uuid:{id}", cap.Text("identifier"));
        Assert.Equal("whistle@localhost", cap.Text("sender"));
        Assert.Equal(["en-US", "es-US", "so", "hmn"], cap.Infos().Select(i => i.Text("language")));
        Assert.Equal("Twin Cities Rapid Response (demo)", cap.Infos().First().Text("senderName"));
        Assert.Equal("Midtown Phillips", cap.Infos().First().Descendants(Cap + "areaDesc").Single().Value);
        var radiusKm = double.Parse(cap.Infos().First().Descendants(Cap + "circle").Single().Value.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(radiusKm, 0.8, 0.95); // 800 m and the grid snap, in km
        Assert.NotNull(res.Headers.ETag);
        // "web" points at the alert on the public page.
        Assert.Equal($"http://localhost:5080/?lang=en#alert-{id}", cap.Infos().First().Text("web"));
        Assert.Contains($"id=\"alert-{id}\"", await anonymous.GetStringAsync("/?lang=en"));

        // The dispatcher's JSON route at the same path without ".cap" still needs a dispatcher.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/alerts/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.GetAsync($"/api/v1/alerts/{id}")).StatusCode);
        var json = await dispatcher.GetAsync($"/api/v1/alerts/{id}");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType!.MediaType);

        // Unknown ids and drills: 404 problem details.
        foreach (var path in new[] { $"/api/v1/alerts/{Guid.NewGuid()}.cap", "/api/v1/alerts/not-an-id.cap" })
        {
            var missing = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
            Assert.Equal(404, (await missing.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<int>());
        }
        var drill = await CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { MidtownPhillips } }));
        var hidden = await anonymous.GetAsync($"/api/v1/alerts/{drill}.cap");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal("application/problem+json", hidden.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain($"urn:uuid:{drill}", EntryIds((await FeedAsync(anonymous)).Feed));

        // Both are in the OpenAPI document.
        var openApi = await anonymous.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api/v1/alerts/{id}.cap\"", openApi);
        Assert.Contains("\"/feeds/alerts.atom\"", openApi);
    }

    [Fact]
    public async Task The_feed_carries_each_current_chain_as_CAP_entries_linking_to_the_same_messages()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var anonymous = app.CreateClient();
        var s1 = await ConfirmedSightingAsync(app, dispatcher, verifier, new GeoPoint(45.0300, -93.3000));
        var s2 = await ConfirmedSightingAsync(app, dispatcher, verifier, new GeoPoint(44.9000, -93.2200));

        var a = await CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = s1, zones = new[] { MidtownPhillips }, outsideAreaAcknowledged = true }));
        var update = await CreatedAsync(dispatcher.PostAsJsonAsync($"/api/v1/alerts/{a}/update", new { place = "Lake St & Chicago Ave" }));
        var cancel = await CreatedAsync(dispatcher.PostAsJsonAsync($"/api/v1/alerts/{a}/cancel", new { reason = "false_alarm" }));
        var b = await CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId = s2, circle = new { lat = 44.9, lon = -93.22, radiusMeters = 1500 } }));
        var drill = await CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { MidtownPhillips } }));

        var (feed, res) = await FeedAsync(anonymous);
        var root = feed.Root!;
        Assert.Equal(Atom + "feed", root.Name);
        Assert.Equal("http://localhost:5080/feeds/alerts.atom", root.Element(Atom + "id")!.Value);
        Assert.Contains("Twin Cities Rapid Response (demo)", root.Element(Atom + "title")!.Value);
        Assert.True(DateTimeOffset.TryParse(root.Element(Atom + "updated")!.Value, out _));
        Assert.Equal("http://localhost:5080/feeds/alerts.atom",
            root.Elements(Atom + "link").Single(l => (string?)l.Attribute("rel") == "self").Attribute("href")!.Value);

        var ids = EntryIds(feed);
        string[] ours = [$"urn:uuid:{b}", $"urn:uuid:{cancel}", $"urn:uuid:{update}", $"urn:uuid:{a}"];
        Assert.Equal(ours, ids.Where(ours.Contains)); // all four, newest first
        Assert.DoesNotContain($"urn:uuid:{drill}", ids);

        foreach (var entry in root.Elements(Atom + "entry").Where(e => ours.Contains(e.Element(Atom + "id")!.Value)))
        {
            var id = entry.Element(Atom + "id")!.Value;
            Assert.False(string.IsNullOrEmpty(entry.Element(Atom + "title")!.Value));
            Assert.False(string.IsNullOrEmpty(entry.Element(Atom + "summary")!.Value));
            Assert.True(DateTimeOffset.TryParse(entry.Element(Atom + "updated")!.Value, out _));
            Assert.Equal("Twin Cities Rapid Response (demo)", entry.Element(Atom + "author")!.Element(Atom + "name")!.Value);
            Assert.Single(entry.Elements(Atom + "category"), c => (string?)c.Attribute("scheme") == CapSchema.Ns.NamespaceName + "#msgType");

            // The embedded message and the linked one: both valid, the same identifier as the entry.
            var content = entry.Element(Atom + "content")!;
            Assert.Equal("text/xml", content.Attribute("type")!.Value);
            var embedded = CapSchema.Valid(content.Element(Cap + "alert")!);
            Assert.Equal(id, embedded.Text("identifier"));
            var link = entry.Elements(Atom + "link").Single(l => (string?)l.Attribute("rel") == "alternate");
            Assert.Equal("application/cap+xml", link.Attribute("type")!.Value);
            var href = new Uri(link.Attribute("href")!.Value);
            Assert.EndsWith(".cap", href.AbsolutePath);
            var linked = await anonymous.GetAsync(href.PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
            var cap = CapSchema.Valid(await linked.Content.ReadAsStringAsync());
            Assert.Equal(id, cap.Text("identifier"));
            Assert.Equal(embedded.Text("sent"), cap.Text("sent"));
            Assert.Equal(embedded.Element(Cap + "references")?.Value, cap.Element(Cap + "references")?.Value);
        }

        // The chain: the update and the false alarm reference what came before; the false alarm says so.
        var entries = root.Elements(Atom + "entry").ToDictionary(e => e.Element(Atom + "id")!.Value, e => e.Element(Atom + "content")!.Element(Cap + "alert")!);
        string Ref(Guid id) => $"whistle@localhost,urn:uuid:{id},{entries[$"urn:uuid:{id}"].Text("sent")}";
        Assert.Equal("Update", entries[$"urn:uuid:{update}"].Text("msgType"));
        Assert.Equal(Ref(a), entries[$"urn:uuid:{update}"].Text("references"));
        var retraction = entries[$"urn:uuid:{cancel}"];
        Assert.Equal("Cancel", retraction.Text("msgType"));
        Assert.Equal($"{Ref(a)} {Ref(update)}", retraction.Text("references"));
        Assert.StartsWith("FALSE ALARM", retraction.Infos().First().Text("headline"));
        Assert.Contains("Lake St & Chicago Ave", retraction.Infos().First().Text("description"));
        Assert.Single(entries[$"urn:uuid:{a}"].Infos().First().Elements(Cap + "area"), x => x.Text("areaDesc") == "Midtown Phillips");
        Assert.NotNull(res.Content.Headers.LastModified);
    }
}

/// <summary>Conditional GETs and expiry, on a clock the test moves.</summary>
public sealed class CapFeedClockTests
{
    [Fact]
    public async Task The_feed_answers_304_to_its_ETag_and_Last_Modified_and_an_alert_leaves_it_when_it_expires()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new CustomApp(new() { ["Whistle:Delivery:Enabled"] = "false", ["Whistle:PublicBaseUrl"] = "https://alerts.example.org" },
            s => s.AddSingleton<TimeProvider>(clock));
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var anonymous = app.CreateClient();
        var sighting = await CapFeedTests.ConfirmedSightingAsync(app, dispatcher, verifier, new GeoPoint(44.9485, -93.2555));
        var other = await CapFeedTests.ConfirmedSightingAsync(app, dispatcher, verifier, new GeoPoint(45.0300, -93.3000));

        var (empty, first) = await CapFeedTests.FeedAsync(anonymous);
        Assert.Empty(CapFeedTests.EntryIds(empty));
        var etag = first.Headers.ETag!;
        var lastModified = first.Content.Headers.LastModified!.Value;

        // Unchanged: 304 to either validator, with no body.
        var byTag = await Conditional(anonymous, r => r.Headers.IfNoneMatch.Add(etag));
        Assert.Equal(HttpStatusCode.NotModified, byTag.StatusCode);
        Assert.Empty(await byTag.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, byTag.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await Conditional(anonymous, r => r.Headers.IfModifiedSince = lastModified)).StatusCode);

        // A new alert: both validators now say modified; the new ones say not.
        clock.Advance(TimeSpan.FromSeconds(10));
        var alert = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId = sighting, zones = new[] { 86 }, expiresInMinutes = 5 }));
        // An alert whose window ends at once but whose all-clear keeps the chain in the feed for a day.
        var cancelled = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId = other, circle = new { lat = 45.03, lon = -93.3, radiusMeters = 500 }, expiresInMinutes = 5 }));
        var allClear = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync($"/api/v1/alerts/{cancelled}/cancel", new { reason = "all_clear" }));

        Assert.Equal(HttpStatusCode.OK, (await Conditional(anonymous, r => r.Headers.IfNoneMatch.Add(etag))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Conditional(anonymous, r => r.Headers.IfModifiedSince = lastModified)).StatusCode);
        var (withAlert, second) = await CapFeedTests.FeedAsync(anonymous);
        Assert.Equal([$"urn:uuid:{allClear}", $"urn:uuid:{cancelled}", $"urn:uuid:{alert}"], CapFeedTests.EntryIds(withAlert));
        Assert.NotEqual(etag, second.Headers.ETag);
        Assert.True(second.Content.Headers.LastModified > lastModified);
        Assert.Equal(HttpStatusCode.NotModified, (await Conditional(anonymous, r => r.Headers.IfNoneMatch.Add(second.Headers.ETag!))).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await Conditional(anonymous, r => r.Headers.IfModifiedSince = second.Content.Headers.LastModified)).StatusCode);

        // Links use the configured public URL, and the sender is named after its host.
        var entry = withAlert.Root!.Elements(XName.Get("entry", "http://www.w3.org/2005/Atom")).Last();
        Assert.Equal($"https://alerts.example.org/api/v1/alerts/{alert}.cap",
            entry.Elements(XName.Get("link", "http://www.w3.org/2005/Atom")).Single(l => (string?)l.Attribute("rel") == "alternate").Attribute("href")!.Value);
        Assert.Equal("whistle@alerts.example.org", CapSchema.Valid(entry.Descendants(CapSchema.Ns + "alert").Single()).Text("sender"));

        // Past its window the alert leaves the feed (and the feed says it changed); the all-clear's chain stays a day.
        clock.Advance(TimeSpan.FromMinutes(6));
        var (afterExpiry, third) = await CapFeedTests.FeedAsync(anonymous);
        Assert.Equal([$"urn:uuid:{allClear}", $"urn:uuid:{cancelled}"], CapFeedTests.EntryIds(afterExpiry));
        Assert.True(third.Content.Headers.LastModified > second.Content.Headers.LastModified);
        Assert.Equal(HttpStatusCode.OK, (await Conditional(anonymous, r => r.Headers.IfNoneMatch.Add(second.Headers.ETag!))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Conditional(anonymous, r => r.Headers.IfModifiedSince = second.Content.Headers.LastModified)).StatusCode);
        // Its CAP is still there by id: a record of what was sent.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/v1/alerts/{alert}.cap")).StatusCode);

        clock.Advance(TimeSpan.FromHours(24));
        var (later, _) = await CapFeedTests.FeedAsync(anonymous);
        Assert.Empty(CapFeedTests.EntryIds(later));
    }

    private static Task<HttpResponseMessage> Conditional(HttpClient client, Action<HttpRequestMessage> validators)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/feeds/alerts.atom");
        validators(request);
        return client.SendAsync(request);
    }
}
