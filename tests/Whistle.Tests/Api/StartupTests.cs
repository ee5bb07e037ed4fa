using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Whistle.Tests.Api;

public sealed class StartupTests
{
    [Fact]
    public async Task The_demo_network_has_the_87_neighbourhoods_and_synthetic_subscribers_a_city_wide_drill_reaches()
    {
        using var app = new CustomApp(new() { ["Whistle:DemoSubscribers"] = "300" });
        var client = app.CreateClient();
        var zones = (await client.GetFromJsonAsync<JsonObject>("/api/v1/zones"))!;
        Assert.Equal("FeatureCollection", zones["type"]!.GetValue<string>());
        var features = zones["features"]!.AsArray();
        Assert.Equal(87, features.Count);
        Assert.Contains(features, f => f!["properties"]!["name"]!.GetValue<string>() == "Powderhorn Park");
        Assert.All(features, f => Assert.True(f!["properties"]!["id"]!.GetValue<int>() > 0));

        // The synthetic subscribers did not opt into drills: a city-wide drill to them all is an admin's recorded override.
        var dispatcher = await app.StaffAsync("admin");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 44.98, lon = -93.27, radiusMeters = 30_000 },
            audience = "public", audienceReason = "Demo: a city-wide drill to the synthetic subscribers" });
        var created = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(300, created["recipients"]!.GetValue<int>());
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, id);
        var lines = app.Outbox().Where(l => l.AlertId == id).ToList();
        Assert.Equal(300, lines.Select(l => l.Recipient).Distinct().Count());
        Assert.Equal(["en", "es", "hmn", "so"], lines.Select(l => l.Language).Distinct().Order());
        // Fictional addresses only: 555-01xx numbers and example.org.
        Assert.All(lines, l => Assert.True(l.Recipient.EndsWith("@example.org") || l.Recipient[5..9] == "5550"));
    }

    [Fact]
    public async Task A_new_network_starts_empty_and_the_bootstrap_admin_can_log_in()
    {
        using var app = new CustomApp(new()
        {
            ["Whistle:Demo"] = "false",
            ["Whistle:PublicBaseUrl"] = "https://network.test",
            ["Whistle:Bootstrap:AdminEmail"] = "coordinator@network.test",
            ["Whistle:Bootstrap:AdminPassword"] = "a-Long-passphrase-42",
        });
        var client = app.CreateClient();
        Assert.Empty((await client.GetFromJsonAsync<JsonObject>("/api/v1/zones"))!["features"]!.AsArray());
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = "coordinator@network.test", password = "a-Long-passphrase-42" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var session = (await login.Content.ReadFromJsonAsync<JsonObject>())!;
        client.DefaultRequestHeaders.Authorization = new("Bearer", session["accessToken"]!.GetValue<string>());
        var me = (await client.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!;
        Assert.Equal(["admin"], me["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        // Outside the demo an admin needs a second factor: until one is set up, only the account's own setup answers.
        Assert.True(session["mustEnrol"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/templates")).StatusCode);
        var key = (await (await client.PostAsync("/api/v1/auth/totp/setup", null)).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/auth/totp/enable", new { code = Totp.Code(key) })).StatusCode);
        // Templates exist in all four languages even in a new network.
        Assert.Equal(4, (await client.GetFromJsonAsync<JsonArray>("/api/v1/templates"))!.Select(t => t!["language"]!.GetValue<string>()).Distinct().Count());
    }
}
