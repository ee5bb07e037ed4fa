using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Federation;

namespace Whistle.Tests.Api;

/// <summary>
/// Two whole Whistle networks on real loopback ports, each following the other's CAP Atom feed: an alert, its update
/// and its cancel sent on one appear, change and end on the other — our CAP out read by our federation in, over HTTP.
/// </summary>
public sealed class FederationPeerTests
{
    private static CustomApp Network(int port, int peerPort, string peerName) => new(new Dictionary<string, string?>
    {
        ["Whistle:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
        ["Whistle:Federation:Enabled"] = "false",
        ["Whistle:Federation:Partners:0:Name"] = peerName,
        ["Whistle:Federation:Partners:0:FeedUrl"] = $"http://127.0.0.1:{peerPort}/feeds/alerts.atom",
        ["Whistle:Federation:Partners:0:AllowPrivateNetwork"] = "true", // the peer is on loopback
    }, kestrelPort: port);

    private static Task PollAsync(WhistleApp app) => app.Services.GetRequiredService<FederationPoller>().RunOnceAsync(default);

    private static async Task<List<JsonObject>> PartnerAlertsAsync(WhistleApp app) =>
        (await app.CreateClient().GetFromJsonAsync<JsonObject>("/api/v1/partner-alerts"))!["features"]!.AsArray().Select(f => f!.AsObject()).ToList();

    /// <summary>A confirmed sighting and its alert on <paramref name="app"/>; returns the alert id.</summary>
    private static async Task<Guid> AlertAsync(WhistleApp app, HttpClient dispatcher, double lat, double lon, string place)
    {
        var report = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon });
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed", note = "seen" })).StatusCode);
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = new { lat, lon, radiusMeters = 800 }, place });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
    }

    private static string Headline(JsonObject feature, string lang) => feature["properties"]!["headlines"]![lang]!.GetValue<string>();

    [Fact]
    public async Task An_alert_its_update_and_its_cancel_travel_between_two_networks_both_ways()
    {
        int southPort = CustomApp.FreePort(), northPort = CustomApp.FreePort();
        using var south = Network(southPort, northPort, "Northside");
        using var north = Network(northPort, southPort, "Southside");
        var southDesk = await south.StaffAsync("dispatcher");
        var northDesk = await north.StaffAsync("dispatcher");

        // South alerts; North picks it up, marked as South's, in both languages.
        var alert = await AlertAsync(south, southDesk, 44.9485, -93.2555, "Lake Street");
        await PollAsync(north);
        var seen = Assert.Single(await PartnerAlertsAsync(north));
        Assert.Equal("Southside", seen["properties"]!["partner"]!.GetValue<string>());
        Assert.Contains("Lake Street", Headline(seen, "en"));
        Assert.Contains("retén", Headline(seen, "es"), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await PartnerAlertsAsync(south)); // North has sent nothing yet

        // Polling again changes nothing (same identifiers, conditional GET).
        await PollAsync(north);
        Assert.Single(await PartnerAlertsAsync(north));

        // South's update replaces what North shows.
        var update = await southDesk.PostAsJsonAsync($"/api/v1/alerts/{alert}/update", new { place = "Lake Street and Chicago Avenue" });
        Assert.Equal(HttpStatusCode.Created, update.StatusCode);
        await PollAsync(north);
        seen = Assert.Single(await PartnerAlertsAsync(north));
        Assert.Contains("Chicago Avenue", Headline(seen, "en"));

        // The other way: North alerts, South shows it.
        await AlertAsync(north, northDesk, 45.0103, -93.2900, "Lowry Avenue");
        await PollAsync(south);
        var back = Assert.Single(await PartnerAlertsAsync(south));
        Assert.Equal("Northside", back["properties"]!["partner"]!.GetValue<string>());
        Assert.Contains("Lowry Avenue", Headline(back, "en"));

        // South's all clear ends the alert on North; North's own alert is untouched on South.
        var cancel = await southDesk.PostAsJsonAsync($"/api/v1/alerts/{alert}/cancel", new { reason = "all_clear" });
        Assert.Equal(HttpStatusCode.Created, cancel.StatusCode);
        await PollAsync(north);
        Assert.Empty(await PartnerAlertsAsync(north));
        var rows = (await northDesk.GetFromJsonAsync<JsonArray>("/api/v1/federation/alerts"))!;
        Assert.Equal(3, rows.Count); // alert, update, cancel: each imported once
        await PollAsync(south);
        Assert.Single(await PartnerAlertsAsync(south));

        var status = (await northDesk.GetFromJsonAsync<JsonArray>("/api/v1/federation/partners"))!.Single()!;
        Assert.Null(status["lastError"]?.GetValue<string>());
    }
}
