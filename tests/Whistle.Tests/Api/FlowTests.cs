using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Subscriptions;
using Whistle.Geo;

namespace Whistle.Tests.Api;

/// <summary>
/// The whole flow over HTTP — report, cluster, dispatch, verify, alert an area, deliver, cancel —
/// run once against SQLite and once against PostgreSQL. Each test works in its own part of the
/// map so that no test's subscribers fall in another's area.
/// </summary>
public abstract class FlowTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    // Inside Midtown Phillips (zone 86).
    private static readonly GeoPoint P = new(44.9485, -93.2555);
    private const int MidtownPhillips = 86, Fulton = 67, ShingleCreek = 1;

    private static object Circle(GeoPoint c, double r) => new { lat = c.Lat, lon = c.Lon, radiusMeters = r };

    private async Task<Guid> ReportAsync(HttpClient client, GeoPoint at, string activity = "checkpoint", DateTimeOffset? observedAt = null)
    {
        var res = await client.PostAsJsonAsync("/api/v1/reports", new { activity, lat = at.Lat, lon = at.Lon, agents = 3, agency = "ice", observedAt });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>());
    }

    private static async Task<Guid> IdOf(HttpResponseMessage res)
    {
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Report_to_verified_alert_reaches_exactly_the_area_in_each_language_nearest_first_and_cancel_reaches_the_same()
    {
        var public_ = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        const double R = 1000;

        // Subscribers around P. Circle subscribers have radius 100 m: they match when their centre is within R + 100.
        var a = await app.SubscribeAsync(public_, "sms", "+16125550101", "es", circle: Circle(P.Offset(300, 90), 100));
        var inside = await app.SubscribeAsync(public_, "email", "just-inside@example.org", "en", circle: Circle(P.Offset(R + 100 - 5, 0), 100));
        await app.SubscribeAsync(public_, "email", "just-outside@example.org", "en", circle: Circle(P.Offset(R + 100 + 5, 0), 100));
        var b = await app.SubscribeAsync(public_, "sms", "+16125550102", "so", zones: [MidtownPhillips]);
        await app.SubscribeAsync(public_, "sms", "+16125550103", "hmn", zones: [Fulton]);
        await app.SubscribeAsync(public_, "email", "never-confirmed@example.org", "en", circle: Circle(P, 500), confirm: false);
        await app.SubscribeAsync(public_, "email", "left@example.org", "en", circle: Circle(P, 500));
        await app.UnsubscribeAsync(public_, "left@example.org");
        var h = await app.SubscribeAsync(public_, "sms", "+16125550104", "en", circle: Circle(P.Offset(600, 180), 100));
        // The same number again (written differently) is the same subscriber, not a second one; the change
        // waits for a new code, and a third request within a minute sends no third code (no flooding a phone).
        var h2 = await app.SubscribeAsync(public_, "sms", "+1 (612) 555-0104", "hmn", circle: Circle(P.Offset(600, 180), 100), confirm: false);
        var h3 = await app.SubscribeAsync(public_, "sms", "+16125550104", "hmn", circle: Circle(P.Offset(600, 180), 100), confirm: false);
        Assert.Equal(h, h2);
        Assert.Equal(h, h3);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
            Assert.Equal(2, db.Messages.Count(x => x.SubscriberId == h));
        }

        // Three reports: two within 500 m and 30 min merge into one sighting; one 2 km away does not.
        var now = DateTimeOffset.UtcNow;
        var s1 = await ReportAsync(public_, P, observedAt: now.AddMinutes(-5));
        var s2 = await ReportAsync(public_, P.Offset(200, 45), observedAt: now);
        var s3 = await ReportAsync(public_, P.Offset(2000, 45), observedAt: now);
        Assert.Equal(s1, s2);
        Assert.NotEqual(s1, s3);

        // Nobody anonymous reads a sighting; the dispatcher sees it with both reports.
        Assert.Equal(HttpStatusCode.Unauthorized, (await public_.GetAsync($"/api/v1/sightings/{s1}")).StatusCode);
        var sighting = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{s1}"))!;
        Assert.Equal("new", sighting["sighting"]!["state"]!.GetValue<string>());
        Assert.Equal(2, sighting["reports"]!.AsArray().Count);
        Assert.Contains(await WhistleApp.QueueAsync(dispatcher), x => x["id"]!.GetValue<string>() == s1.ToString());

        // Not yet verified: no alert.
        var early = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = s1, circle = Circle(P, R) });
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);

        // Dispatch a verifier, who confirms. A verifier cannot send the alert.
        await WhistleApp.SendAsync(dispatcher, verifier, s1, "Sam on the way");
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{s1}/verification", new { outcome = "confirmed", note = "two ICE vehicles, 3 agents" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync("/api/v1/alerts", new { sightingId = s1, circle = Circle(P, R) })).StatusCode);

        var history = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{s1}"))!["history"]!.AsArray();
        Assert.Equal(["new>verifying", "verifying>confirmed"], history.Select(t => $"{t!["from"]}>{t["to"]}"));
        Assert.All(history, t => Assert.False(string.IsNullOrEmpty(t!["actor"]!.GetValue<string>())));
        Assert.Equal("two ICE vehicles, 3 agents", history[1]!["note"]!.GetValue<string>());

        // The alert: exactly a, b, d, h — nearest first: d (its zone holds P), a (300 m), h (600 m), b (1095 m).
        var created = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = s1, circle = Circle(P, R) });
        var alertId = await IdOf(created);
        var alert = await WhistleApp.DeliveredAsync(dispatcher, alertId);
        Assert.Equal(4, alert["recipients"]!.GetValue<int>());
        Assert.Equal(4, alert["deliveries"]!["sent"]!.GetValue<int>());
        Assert.Equal("active", alert["state"]!.GetValue<string>());
        Assert.Equal("gsm7", alert["sms"]!["en"]!["encoding"]!.GetValue<string>());
        Assert.True(alert["sms"]!["so"]!["segments"]!.GetValue<int>() >= 1);

        // Each channel has its own lane that hands them over nearest first (the fan-out's order); across
        // channels, and between calls in flight at once, the sink may log them in either order.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var orders = await scope.ServiceProvider.GetRequiredService<WhistleDb>().FanoutOrders.AsNoTracking()
                .Where(f => f.AlertId == alertId).ToDictionaryAsync(f => f.Channel, f => DeliveryStore.Order(f.Recipients));
            Assert.Equal([b, a, h], orders[SubscriberChannel.Sms]);
            Assert.Equal([inside], orders[SubscriberChannel.Email]);
        }
        var lines = app.Outbox().Where(l => l.AlertId == alertId).ToDictionary(l => l.Recipient);
        Assert.Equal(["+16125550101", "+16125550102", "+16125550104", "just-inside@example.org"], lines.Keys.Order());
        Assert.Equal("so", lines["+16125550102"].Language);
        Assert.StartsWith("LA XAQIIJIYAY", lines["+16125550102"].Text);
        Assert.StartsWith("VERIFICADO", lines["+16125550101"].Text);
        Assert.StartsWith("VERIFIED", lines["+16125550104"].Text);
        Assert.StartsWith("VERIFIED", lines["just-inside@example.org"].Text);
        Assert.All(lines.Values, l => Assert.Contains("Midtown Phillips", l.Text));

        // The public map shows it, coarsened: never the exact point.
        var active = (await public_.GetFromJsonAsync<JsonObject>("/api/v1/alerts/active"))!["features"]!.AsArray();
        var feature = Assert.Single(active, x => x!["properties"]!["id"]!.GetValue<string>() == alertId.ToString())!;
        var coords = feature["geometry"]!["coordinates"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        Assert.NotEqual([P.Lon, P.Lat], coords);
        Assert.True(new GeoPoint(coords[1], coords[0]).DistanceTo(P) < 200);

        // All clear: to exactly the same four, ahead of anything else; the sighting is resolved.
        var cancelId = await IdOf(await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{alertId}/cancel", new { reason = "all_clear" }));
        var cancel = await WhistleApp.DeliveredAsync(dispatcher, cancelId);
        Assert.Equal(4, cancel["recipients"]!.GetValue<int>());
        Assert.Equal(alertId.ToString(), cancel["references"]!.GetValue<string>());
        var cancelLines = app.Outbox().Where(l => l.AlertId == cancelId).ToList();
        Assert.Equal(lines.Keys.Order(), cancelLines.Select(l => l.Recipient).Order());
        Assert.Contains(cancelLines, l => l.Text.StartsWith("FIN DE ALERTA"));
        Assert.Equal("cancelled", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!["state"]!.GetValue<string>());
        Assert.Equal("resolved", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{s1}"))!["sighting"]!["state"]!.GetValue<string>());
        active = (await public_.GetFromJsonAsync<JsonObject>("/api/v1/alerts/active"))!["features"]!.AsArray();
        Assert.DoesNotContain(active, x => x!["properties"]!["id"]!.GetValue<string>() == alertId.ToString());

        // A second cancel is refused; nobody outside the area, unconfirmed or unsubscribed ever got an alert.
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{alertId}/cancel", new { reason = "false_alarm" })).StatusCode);
        foreach (var who in new[] { "just-outside@example.org", "+16125550103", "never-confirmed@example.org", "left@example.org" })
            Assert.DoesNotContain(app.Outbox(), l => l.AlertId is not null && l.Recipient == who);
    }

    [Fact]
    public async Task Alerts_sent_at_the_same_moment_are_all_sent_each_to_its_own_recipients()
    {
        var public_ = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var here = new GeoPoint(47.9, -96.6);
        await app.SubscribeAsync(public_, "email", "busy-day@example.org", "en", circle: Circle(here, 200));
        var sends = Enumerable.Range(0, 8).Select(_ => dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = Circle(here, 500) }));
        var ids = new List<Guid>();
        foreach (var res in await Task.WhenAll(sends)) ids.Add(await IdOf(res));
        Assert.Equal(8, ids.Distinct().Count());
        foreach (var id in ids) await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal(8, app.Outbox().Count(l => l.Recipient == "busy-day@example.org" && l.AlertId is not null));
    }

    [Fact]
    public async Task A_zone_alert_reaches_that_zone_and_circles_overlapping_it_only()
    {
        var public_ = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var shingle = new GeoPoint(45.0482, -93.3090); // inside Shingle Creek
        await app.SubscribeAsync(public_, "email", "zone-member@example.org", "en", zones: [ShingleCreek]);
        await app.SubscribeAsync(public_, "email", "circle-over-zone@example.org", "es", circle: Circle(shingle, 300));
        await app.SubscribeAsync(public_, "email", "circle-far@example.org", "en", circle: Circle(shingle.Offset(8000, 180), 300));

        var drill = await IdOf(await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { zones = new[] { ShingleCreek }, drill = true }));
        await WhistleApp.DeliveredAsync(dispatcher, drill);
        var got = app.Outbox().Where(l => l.AlertId == drill).Select(l => l.Recipient).Order().ToList();
        Assert.Equal(["circle-over-zone@example.org", "zone-member@example.org"], got);
    }

    [Fact]
    public async Task A_drill_needs_no_sighting_is_labelled_in_every_language_and_never_shows_as_verified()
    {
        var public_ = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var far = new GeoPoint(46.5, -94.0); // outside the city: this test's own area
        string[] langs = ["en", "es", "so", "hmn"];
        for (int i = 0; i < langs.Length; i++)
            await app.SubscribeAsync(public_, "email", $"drill-{langs[i]}@example.org", langs[i], circle: Circle(far.Offset(100 * i, 0), 200));

        var id = await IdOf(await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = Circle(far, 1000), place = "Test Town" }));
        await WhistleApp.DeliveredAsync(dispatcher, id);
        var lines = app.Outbox().Where(l => l.AlertId == id).ToDictionary(l => l.Language, l => l.Text);
        Assert.Equal(langs.Order(), lines.Keys.Order());
        Assert.StartsWith("DRILL - TEST ONLY", lines["en"]);
        Assert.StartsWith("SIMULACRO", lines["es"]);
        Assert.StartsWith("TIJAABO", lines["so"]);
        Assert.StartsWith("KEV XYAUM", lines["hmn"]);
        Assert.DoesNotContain(lines.Values, t => t.Contains("VERIFIED") || t.Contains("VERIFICADO"));

        var active = (await public_.GetFromJsonAsync<JsonObject>("/api/v1/alerts/active"))!["features"]!.AsArray();
        Assert.DoesNotContain(active, x => x!["properties"]!["id"]!.GetValue<string>() == id.ToString());
    }

    [Fact]
    public async Task Forbidden_transitions_are_refused_and_leave_the_sighting_as_it_was()
    {
        var public_ = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var somewhere = new GeoPoint(47.2, -95.1);

        // false alarm is final
        var s = await ReportAsync(public_, somewhere);
        // a verifier records an outcome only where they were sent
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{s}/verification", new { outcome = "false_alarm" })).StatusCode);
        await WhistleApp.SendAsync(dispatcher, verifier, s);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{s}/verification", new { outcome = "false_alarm", note = "delivery van" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{s}/verification", new { outcome = "confirmed", note = "" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{s}/dispatch", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{s}/resolve", new { })).StatusCode);
        var alert = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = s, circle = Circle(somewhere, 500) });
        Assert.Equal(HttpStatusCode.Conflict, alert.StatusCode);
        Assert.Equal("application/problem+json", alert.Content.Headers.ContentType!.MediaType);
        var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{s}"))!;
        Assert.Equal("false_alarm", detail["sighting"]!["state"]!.GetValue<string>());
        Assert.Equal(2, detail["history"]!.AsArray().Count); // sent, then false alarm

        // a new sighting cannot be resolved; not_found leaves it unconfirmed; confirmed cannot go back to verifying
        var t = await ReportAsync(public_, somewhere.Offset(5000, 0));
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{t}/resolve", new { })).StatusCode);
        await WhistleApp.SendAsync(dispatcher, verifier, t);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{t}/verification", new { outcome = "not_found", note = "nothing there" })).StatusCode);
        Assert.Equal("unconfirmed", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{t}"))!["sighting"]!["state"]!.GetValue<string>());
        // a report near a closed sighting opens a new one
        Assert.NotEqual(t, await ReportAsync(public_, somewhere.Offset(5000, 0)));

        var u = await ReportAsync(public_, somewhere.Offset(10000, 0));
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{u}/verification", new { outcome = "confirmed", note = "dispatcher on scene" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{u}/dispatch", new { })).StatusCode);
        // a verifier may not resolve or dispatch
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{u}/resolve", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{u}/resolve", new { note = "left" })).StatusCode);
    }

    [Fact]
    public async Task A_false_alarm_retraction_reaches_those_who_got_the_alert_and_marks_the_sighting()
    {
        var public_ = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var here = new GeoPoint(45.6, -93.9);
        await app.SubscribeAsync(public_, "email", "retract-1@example.org", "en", circle: Circle(here, 300));
        await app.SubscribeAsync(public_, "email", "retract-2@example.org", "so", circle: Circle(here.Offset(400, 90), 300));
        var s = await ReportAsync(public_, here, "home_raid");
        await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{s}/verification", new { outcome = "confirmed", note = "" });
        var id = await IdOf(await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = s, circle = Circle(here, 500), place = "Lake Street" }));
        await WhistleApp.DeliveredAsync(dispatcher, id);
        var update = await IdOf(await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/update", new { place = "Lake Street and 5th Ave" }));
        await WhistleApp.DeliveredAsync(dispatcher, update);
        var retract = await IdOf(await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/cancel", new { reason = "false_alarm" }));
        await WhistleApp.DeliveredAsync(dispatcher, retract);

        var outbox = app.Outbox();
        string[] expected = ["retract-1@example.org", "retract-2@example.org"];
        Assert.Equal(expected, outbox.Where(l => l.AlertId == id).Select(l => l.Recipient).Order());
        Assert.Equal(expected, outbox.Where(l => l.AlertId == update).Select(l => l.Recipient).Order());
        Assert.Equal(expected, outbox.Where(l => l.AlertId == retract).Select(l => l.Recipient).Order());
        Assert.Contains(outbox, l => l.AlertId == update && l.Text.Contains("UPDATE") && l.Text.Contains("Lake Street and 5th Ave"));
        Assert.Contains(outbox, l => l.AlertId == retract && l.Text.StartsWith("FALSE ALARM"));
        Assert.Contains(outbox, l => l.AlertId == retract && l.Text.StartsWith("DIGNIIN BEEN AH"));
        Assert.Equal("false_alarm", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{s}"))!["sighting"]!["state"]!.GetValue<string>());
    }
}

public sealed class SqliteFlowTests(SqliteApp app) : FlowTests<SqliteApp>(app);

public sealed class PostgresFlowTests(PostgresApp app) : FlowTests<PostgresApp>(app);
