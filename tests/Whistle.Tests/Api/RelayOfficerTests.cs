using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Relaying a partner's alert makes its words this network's public words: the same officer check as a
/// dispatcher's own place, with the same recorded override. SQLite and PostgreSQL.
/// </summary>
public sealed class RelayOfficerTests
{
    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task Relaying_partner_words_that_identify_an_officer_needs_a_reason_which_is_recorded(Db db)
    {
        await using var feeds = await PartnerFeeds.StartAsync();
        using var app = FederationTests.App(db, (FederationTests.Northside, feeds.Url + "/feed"));
        var dispatcher = await app.StaffAsync("dispatcher");
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var cap = Message("ns-officer-1", FederationTests.Sender, now.AddMinutes(-5), expires: now.AddHours(3),
            infos: [En("ICE checkpoint at Lake St, Agent Miller badge 5521")]);
        feeds.Serve("/feed", Feed(FederationTests.Northside, new Entry("ns-officer-1", cap)));
        await FederationTests.PollAsync(app);
        var id = (await FederationTests.RowsAsync(dispatcher)).Single()["id"]!.GetValue<Guid>();
        var relay = $"/api/v1/federation/alerts/{id}/relay";

        var refused = await dispatcher.PostAsync(relay, null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("messages", problem["field"]!.GetValue<string>());
        Assert.Contains(problem["findings"]!.AsArray(), f => f!["match"]!.GetValue<string>() == "badge 5521");
        Assert.Contains(problem["findings"]!.AsArray(), f => f!["match"]!.GetValue<string>() == "Agent Miller");

        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.PostAsJsonAsync(relay, new { @override = new { reason = "ok" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.PostAsync(relay, new StringContent("{not json", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await dispatcher.PostAsync(relay, new StringContent("reason", Encoding.UTF8, "text/plain"))).StatusCode);

        const string why = "Northside confirmed the agent identified himself to the crowd.";
        var res = await dispatcher.PostAsJsonAsync(relay, new { @override = new { reason = why } });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var local = (await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        var recorded = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{local}"))!["override"]!;
        Assert.Equal(why, recorded["reason"]!.GetValue<string>());
        Assert.Contains("badge 5521", recorded["findings"]!.GetValue<string>());
    }
}
