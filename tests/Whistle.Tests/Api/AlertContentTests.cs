using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Tests.Unit;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 11, sections 1 and 7: words from the public never reach a public alert; a dispatcher's words that look
/// like they identify an officer need a recorded override; no input breaks the CAP/Atom feeds; a request's Host
/// never becomes a link. Over HTTP, on SQLite and PostgreSQL.
/// </summary>
public abstract class AlertContentTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const int MidtownPhillips = 86;
    private const string Hostile = "<img src=x onerror=alert(document.cookie)> officer Smith badge 4521";
    private static readonly string[] ReporterWords = ["onerror", "<img", "Smith", "4521"];

    private async Task<Guid> ConfirmedAsync(HttpClient dispatcher, HttpClient verifier, double lat, double lon, string placeText)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon, agents = 3, agency = "ice", placeText });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var sighting = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        return Guid.Parse(sighting);
    }

    private static async Task<XDocument> FeedAsync(HttpClient client, string? host = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/feeds/alerts.atom");
        if (host is not null) req.Headers.Host = host;
        var res = await client.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var xml = await res.Content.ReadAsStringAsync();
        if (host is not null) Assert.DoesNotContain(host, xml);
        var doc = CapFeedTests.ParseFeed(xml);
        foreach (var cap in doc.Descendants(CapSchema.Ns + "alert")) CapSchema.Valid(cap);
        return doc;
    }

    private static async Task<(XElement Cap, string Xml)> CapAsync(HttpClient client, Guid id, string? host = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/alerts/{id}.cap");
        if (host is not null) req.Headers.Host = host;
        var res = await client.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var xml = await res.Content.ReadAsStringAsync();
        return (CapSchema.Valid(xml), xml);
    }

    [Fact]
    public async Task A_reporters_place_text_never_reaches_the_alert_CAP_Atom_or_the_public_map()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        // Outside every zone of the demo network (south-east of Minneapolis).
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.80, -93.00, Hostile);
        var circle = new { lat = 44.80, lon = -93.00, radiusMeters = 800 };

        var preview = await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", new { sightingId = sighting, circle });
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        var previewText = await preview.Content.ReadAsStringAsync();
        Assert.All(ReporterWords, w => Assert.DoesNotContain(w, previewText));

        var id = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle }));
        var alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!;
        Assert.Equal("", alert["place"]!.GetValue<string>());
        var messages = alert["messages"]!.AsObject();
        Assert.Equal(["en", "es", "so", "hmn"], messages.Select(m => m.Key));
        foreach (var (_, text) in messages) Assert.All(ReporterWords, w => Assert.DoesNotContain(w, text!.GetValue<string>()));
        Assert.Contains("near the alert area", messages["en"]!.GetValue<string>());
        Assert.Contains("cerca de el área de la alerta", messages["es"]!.GetValue<string>());

        var anonymous = app.CreateClient();
        var (cap, xml) = await CapAsync(anonymous, id);
        Assert.All(ReporterWords, w => Assert.DoesNotContain(w, xml));
        Assert.Equal("the alert area", cap.Infos().First().Descendants(CapSchema.Ns + "areaDesc").Single().Value);
        Assert.StartsWith("VERIFIED: checkpoint near the alert area", cap.Infos().First().Text("headline"));
        var feed = (await FeedAsync(anonymous)).ToString();
        Assert.All(ReporterWords, w => Assert.DoesNotContain(w, feed));
        var active = await anonymous.GetStringAsync("/api/v1/alerts/active");
        Assert.Contains(id.ToString(), active);
        Assert.All(ReporterWords, w => Assert.DoesNotContain(w, active));

        // Staff still read what the reporter wrote (as data; pages show it as text).
        var staffView = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
        Assert.Equal(Hostile, staffView["sighting"]!["placeText"]!.GetValue<string>());
    }

    [Fact]
    public async Task Inside_a_zone_the_alert_says_the_zones_name_and_what_the_dispatcher_typed_wins()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.9485, -93.2555, "behind the blue house, 2817 " + Hostile);
        var zoned = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, zones = new[] { MidtownPhillips } }));
        Assert.Equal("Midtown Phillips", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{zoned}"))!["place"]!.GetValue<string>());
        // A second real alert for the sighting would be refused (issue 12: update the live one); a drill goes beside it.
        var typed = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId = sighting, drill = true, zones = new[] { MidtownPhillips }, place = "  Lake St & Bloomington\n" }));
        var alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{typed}"))!;
        Assert.Equal("Lake St & Bloomington", alert["place"]!.GetValue<string>());
        Assert.Null(alert["override"]);
    }

    [Fact]
    public async Task Words_that_identify_an_officer_are_refused_until_the_dispatcher_overrides_with_a_reason_which_is_recorded()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        const string place = "Lake St, officer Smith badge 4521";
        var body = new { drill = true, zones = new[] { MidtownPhillips }, place };

        foreach (var path in new[] { "/api/v1/alerts/preview", "/api/v1/alerts" })
        {
            var refused = await dispatcher.PostAsJsonAsync(path, body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal("place", problem["field"]!.GetValue<string>());
            var findings = problem["findings"]!.AsArray().Select(f => (f!["kind"]!.GetValue<string>(), f["match"]!.GetValue<string>())).ToList();
            Assert.Contains(("badge_number", "badge 4521"), findings);
            Assert.Contains(("officer_name", "officer Smith"), findings);
            Assert.Contains("badge 4521", problem["detail"]!.GetValue<string>());
        }

        // An override needs a reason, and a short one is not one.
        foreach (var reason in new[] { null, "", "because", new string('x', 501) })
        {
            var bad = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { MidtownPhillips }, place, @override = new { reason } });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.NotNull((await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["override.reason"]);
        }

        const string why = "The sheriff's office published this badge number on its own page today.";
        var previewed = await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", new { drill = true, zones = new[] { MidtownPhillips }, place, @override = new { reason = why } });
        Assert.Equal(HttpStatusCode.OK, previewed.StatusCode);
        var id = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { drill = true, zones = new[] { MidtownPhillips }, place, @override = new { reason = why } }));
        var me = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!;
        var recorded = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["override"]!;
        Assert.Equal(why, recorded["reason"]!.GetValue<string>());
        Assert.Equal(me["email"]!.GetValue<string>(), recorded["by"]!.GetValue<string>());
        Assert.Contains("badge 4521", recorded["findings"]!.GetValue<string>());

        // An update's words are checked the same way (Spanish here), and its override recorded on the update.
        var update = new { place = "agente Ramírez, placa 3312" };
        var refusedUpdate = await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/update", update);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedUpdate.StatusCode);
        Assert.Equal("Lake St, officer Smith badge 4521", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["place"]!.GetValue<string>());
        var updated = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/update",
            new { update.place, @override = new { reason = "Named on the city's own press release this morning." } }));
        var updateView = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{updated}"))!;
        Assert.Equal("Named on the city's own press release this morning.", updateView["override"]!["reason"]!.GetValue<string>());
        Assert.Contains("placa 3312", updateView["override"]!["findings"]!.GetValue<string>());

        // Ordinary words need nothing.
        var plain = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/update", new { place = "ICE agents near Lake St & 24th" }));
        Assert.Null((await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{plain}"))!["override"]);
    }

    [Fact]
    public async Task Control_characters_never_break_the_Atom_feed_or_CAP_even_from_rows_stored_before()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var anonymous = app.CreateClient();
        // Each test reports far from the others' (reports 500 m apart never merge into one sighting).
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.9000, -93.2200, "Bad\u0001place");
        var id = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId = sighting, circle = new { lat = 44.9000, lon = -93.2200, radiusMeters = 800 }, place = "Bad\u0001place\u0085\uFFFE" }));
        Assert.Equal("Badplace", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["place"]!.GetValue<string>());
        Assert.Equal("Badplace", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!["sighting"]!["placeText"]!.GetValue<string>());
        var cancel = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/cancel", new { reason = "false_alarm" }));
        Assert.Contains($"urn:uuid:{cancel}", CapFeedTests.EntryIds(await FeedAsync(anonymous)));

        // A row written before intake was cleaned (or by an older version) still serves: the writers filter too.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            foreach (var a in await db.Alerts.Where(a => a.Id == id || a.Id == cancel).ToListAsync())
            {
                a.Place = "Bad\u0001place\u0008\u001B\u0085\uFFFE";
                a.Messages = a.Messages.ToDictionary(m => m.Key, m => m.Value + " \u0001\u000B\u007F\u009F\uFFFF end");
            }
            await db.SaveChangesAsync();
        }
        foreach (var message in new[] { id, cancel })
        {
            var (cap, xml) = await CapAsync(anonymous, message);
            Assert.DoesNotContain('\u0001', xml);
            Assert.Contains("Badplace", cap.Infos().First().Descendants(CapSchema.Ns + "areaDesc").Single().Value);
        }
        var feed = await FeedAsync(anonymous);
        Assert.Contains($"urn:uuid:{cancel}", CapFeedTests.EntryIds(feed));

        // A lone surrogate cannot even be read as a string: 400 problem details, never a 500.
        var raw = new StringContent("""{"drill":true,"zones":[86],"place":"Bad\ud800place"}""", Encoding.UTF8, "application/json");
        var res = await dispatcher.PostAsync("/api/v1/alerts", raw);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_requests_Host_header_never_becomes_the_CAP_sender_or_any_link()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var sighting = await ConfirmedAsync(dispatcher, verifier, 45.0300, -93.3000, "Lake St");
        var id = await CapFeedTests.CreatedAsync(dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, zones = new[] { MidtownPhillips }, outsideAreaAcknowledged = true }));
        var anonymous = app.CreateClient();

        var (cap, _) = await CapAsync(anonymous, id, host: "evil.example");
        // The demo without PublicBaseUrl links to its default address; outside the demo PublicBaseUrl is required.
        Assert.Equal("whistle@localhost", cap.Text("sender"));
        Assert.All(cap.Infos(), i => Assert.StartsWith("http://localhost:5080/", i.Text("web")));
        var feed = await FeedAsync(anonymous, host: "evil.example");
        Assert.All(feed.Descendants().Attributes("href"), h => Assert.StartsWith("http://localhost:5080/", h.Value));
    }
}

public sealed class AlertContentTestsSqlite(SqliteApp app) : AlertContentTests<SqliteApp>(app);

public sealed class AlertContentTestsPostgres(PostgresApp app) : AlertContentTests<PostgresApp>(app);

/// <summary>Outside the demo the server will not start without a usable Whistle:PublicBaseUrl.</summary>
public sealed class PublicBaseUrlStartupTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://alerts.example.org/?next=x")]
    public void Outside_the_demo_the_server_refuses_to_start_without_a_usable_PublicBaseUrl(string? url)
    {
        var app = new CustomApp(new() { ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = url });
        var error = Record.Exception(() => app.CreateClient());
        Assert.NotNull(error);
        Assert.Contains("Whistle:PublicBaseUrl is required outside --demo", error.ToString());
        try { app.Dispose(); } catch (Exception) { /* the host never started */ }
    }

    [Fact]
    public async Task With_it_the_server_starts_and_every_link_uses_it()
    {
        using var app = new CustomApp(new() { ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = "https://alerts.example.org/" });
        var res = await app.CreateClient().GetAsync("/feeds/alerts.atom");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var feed = CapFeedTests.ParseFeed(await res.Content.ReadAsStringAsync());
        Assert.All(feed.Descendants().Attributes("href"), h => Assert.StartsWith("https://alerts.example.org/", h.Value));
    }
}
