using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Geo;

namespace Whistle.Tests.Api;

/// <summary>The roster: verifiers on duty with a home zone; dispatch sends the nearest, messages them through the outbox; they accept and report.</summary>
public sealed class RosterTests
{
    private const int MidtownPhillips = 86, ShingleCreek = 1;

    private static async Task<(HttpClient Client, string Id)> VerifierAsync(WhistleApp app, int homeZone, bool onDuty, string? phone = null, string language = "en")
    {
        var client = await app.StaffAsync("verifier");
        var id = await WhistleApp.IdAsync(client);
        var res = await client.PutAsJsonAsync("/api/v1/roster/me", new { onDuty, homeZoneId = homeZone });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        if (phone is not null)
        {
            // The contact an admin sets on the users page (a subscriber row with no area).
            var admin = await app.StaffAsync("admin");
            var set = await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { language, contact = new { channel = "sms", address = phone } });
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }
        return (client, id);
    }

    private static GeoPoint Inside(WhistleApp app, int zone) => app.Services.GetRequiredService<ZoneRegistry>().Current.Get(zone).Label;

    private static async Task<Guid> ReportAsync(WhistleApp app, GeoPoint at)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = at.Lat, lon = at.Lon });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
    }

    [Fact]
    public async Task Dispatch_sends_the_nearest_on_duty_verifiers_messages_them_in_their_language_and_only_they_report()
    {
        using var app = new CustomApp([]);
        var dispatcher = await app.StaffAsync("dispatcher");
        var near = await VerifierAsync(app, MidtownPhillips, onDuty: true, phone: "+16125550181", language: "es");
        var far = await VerifierAsync(app, ShingleCreek, onDuty: true);
        var resting = await VerifierAsync(app, MidtownPhillips, onDuty: false);
        var sighting = await ReportAsync(app, Inside(app, MidtownPhillips));

        // The roster for this sighting: on duty first, nearest first.
        var roster = (await dispatcher.GetFromJsonAsync<JsonArray>($"/api/v1/roster?sighting={sighting}"))!;
        var order = roster.Select(r => r!["id"]!.GetValue<string>()).ToList();
        Assert.True(order.IndexOf(near.Id) < order.IndexOf(far.Id));
        Assert.True(order.IndexOf(far.Id) < order.IndexOf(resting.Id));
        Assert.Equal(0, roster.First(r => r!["id"]!.GetValue<string>() == near.Id)!["distanceMeters"]!.GetValue<double>());
        Assert.True(roster.First(r => r!["id"]!.GetValue<string>() == far.Id)!["distanceMeters"]!.GetValue<double>() > 5000);

        var res = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { note = "two nearest", count = 2 });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var sent = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sent"]!.AsArray();
        Assert.Equal([near.Id, far.Id], sent.Select(x => x!["id"]!.GetValue<string>()));
        Assert.True(sent[0]!["messaged"]!.GetValue<bool>());
        Assert.False(sent[1]!["messaged"]!.GetValue<bool>()); // no contact on file: sees it on the console only

        // The message went out through the outbox and the relay, in the verifier's language, with where to go.
        var line = await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().FirstOrDefault(l => l.Recipient == "+16125550181")),
            l => l is not null, "the dispatch message");
        Assert.StartsWith("Whistle: verifique", line!.Text);
        Assert.Contains("retén", line.Text);
        Assert.Contains("/console/verify", line.Text);

        // Each sees the assignment; the one not sent does not, and may not report.
        var mine = (await near.Client.GetFromJsonAsync<JsonArray>("/api/v1/sightings/assigned"))!;
        Assert.Equal("sent", Assert.Single(mine, a => a!["sighting"]!["id"]!.GetValue<Guid>() == sighting)!["assignment"]!["state"]!.GetValue<string>());
        Assert.Empty((await resting.Client.GetFromJsonAsync<JsonArray>("/api/v1/sightings/assigned"))!);
        Assert.Equal(HttpStatusCode.Forbidden, (await resting.Client.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await resting.Client.PostAsync($"/api/v1/sightings/{sighting}/accept", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await near.Client.PostAsync($"/api/v1/sightings/{sighting}/accept", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await far.Client.PostAsync($"/api/v1/sightings/{sighting}/decline", null)).StatusCode);
        var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
        var states = detail["assignments"]!.AsArray().ToDictionary(a => a!["verifierId"]!.GetValue<string>(), a => a!["state"]!.GetValue<string>());
        Assert.Equal("accepted", states[near.Id]);
        Assert.Equal("declined", states[far.Id]);
        Assert.False(states.ContainsKey(resting.Id));

        // A second dispatch sends the next nearest on duty, not those already sent.
        await resting.Client.PutAsJsonAsync("/api/v1/roster/me", new { onDuty = true });
        var again = (await (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { count = 1 })).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(resting.Id, Assert.Single(again["sent"]!.AsArray())!["id"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await near.Client.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed", note = "3 vehicles" })).StatusCode);
        detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
        Assert.Equal("confirmed", detail["sighting"]!["state"]!.GetValue<string>());
        Assert.Equal("reported", detail["assignments"]!.AsArray().First(a => a!["verifierId"]!.GetValue<string>() == near.Id)!["state"]!.GetValue<string>());
        Assert.Empty((await near.Client.GetFromJsonAsync<JsonArray>("/api/v1/sightings/assigned"))!);
        Assert.Equal(HttpStatusCode.Conflict, (await far.Client.PostAsync($"/api/v1/sightings/{sighting}/accept", null)).StatusCode);
    }

    [Fact]
    public async Task With_nobody_on_duty_the_sighting_still_moves_and_the_answer_says_nobody_was_sent()
    {
        using var app = new CustomApp([]);
        var dispatcher = await app.StaffAsync("dispatcher");
        await VerifierAsync(app, MidtownPhillips, onDuty: false);
        var sighting = await ReportAsync(app, Inside(app, MidtownPhillips));
        var res = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { note = "called Ana by phone" });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var body = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Empty(body["sent"]!.AsArray());
        Assert.Equal("verifying", body["sighting"]!["state"]!.GetValue<string>());
    }

    /// <summary>
    /// Seen (CI, the phone view): a verifier picked a home zone and tapped "go on duty" at once; the two saves raced and
    /// one was lost while both answered 200, so the phone said off duty. Every save must hold, whatever it races.
    /// </summary>
    [Fact]
    public async Task A_zone_change_and_going_on_duty_at_the_same_moment_both_hold()
    {
        using var app = new CustomApp([]);
        var (verifier, _) = await VerifierAsync(app, ShingleCreek, onDuty: false);
        for (var round = 0; round < 12; round++)
        {
            var on = round % 2 == 0;
            var zone = on ? MidtownPhillips : ShingleCreek;
            var answers = await Task.WhenAll(
                verifier.PutAsJsonAsync("/api/v1/roster/me", new { homeZoneId = zone }),
                verifier.PutAsJsonAsync("/api/v1/roster/me", new { onDuty = on }));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
            var me = (await verifier.GetFromJsonAsync<JsonObject>("/api/v1/roster/me"))!;
            Assert.Equal(on, me["onDuty"]!.GetValue<bool>());
            Assert.Equal(zone, me["homeZoneId"]!.GetValue<int>());
            Assert.Equal(on, me["onDutySince"] is not null);
            // The answer to going on duty says what was saved, not a stale copy.
            Assert.Equal(on, (await answers[1].Content.ReadFromJsonAsync<JsonObject>())!["onDuty"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task Bad_roster_and_dispatch_input_gets_problem_details()
    {
        using var app = new CustomApp([]);
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        var sighting = await ReportAsync(app, Inside(app, MidtownPhillips));

        var zero = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { count = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Contains("count", (await zero.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
        var notVerifier = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { verifierIds = new[] { await WhistleApp.IdAsync(dispatcher) } });
        Assert.Equal(HttpStatusCode.Conflict, notVerifier.StatusCode);
        Assert.Equal("application/problem+json", notVerifier.Content.Headers.ContentType!.MediaType);
        Assert.Equal("new", (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!["sighting"]!["state"]!.GetValue<string>());

        var noZone = await verifier.PutAsJsonAsync("/api/v1/roster/me", new { onDuty = true, homeZoneId = 99999 });
        Assert.Equal(HttpStatusCode.BadRequest, noZone.StatusCode);
        Assert.Contains("homeZoneId", (await noZone.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(HttpStatusCode.BadRequest, (await verifier.PutAsJsonAsync("/api/v1/roster/me", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.GetAsync("/api/v1/roster")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dispatcher.GetAsync($"/api/v1/roster?sighting={Guid.NewGuid()}")).StatusCode);
    }
}
