using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Whistle.Tests.Api;

/// <summary>Bad input gets a 400 with RFC 7807 problem details naming what was wrong — never a 500 — and changes nothing.</summary>
public static class BadInputCases
{
    public static TheoryData<string, string, string> Cases => new()
    {
        // endpoint, body, field or phrase the problem must mention
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9", "JSON" },
        { "/api/v1/reports", "not json at all", "JSON" },
        { "/api/v1/reports", "", "" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":999,\"lon\":-93.2}", "lat" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9,\"lon\":-593.2}", "lon" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9}", "lon" },
        { "/api/v1/reports", "{\"activity\":\"parade\",\"lat\":44.9,\"lon\":-93.2}", "activity" },
        { "/api/v1/reports", "{\"lat\":44.9,\"lon\":-93.2}", "activity" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\"}", "location" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":\"north\",\"lon\":-93.2}", "lat" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9,\"lon\":-93.2,\"agents\":\"many\"}", "agents" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9,\"lon\":-93.2,\"agents\":-4}", "agents" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9,\"lon\":-93.2,\"text\":\"" + new string('x', 2001) + "\"}", "text" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9,\"lon\":-93.2,\"observedAt\":\"2001-01-01T00:00:00Z\"}", "observedAt" },
        { "/api/v1/reports", "{\"activity\":\"checkpoint\",\"lat\":44.9,\"lon\":-93.2,\"observedAt\":\"yesterday\"}", "observedAt" },
        { "/api/v1/reports", "[1,2,3]", "JSON" },
        { "/api/v1/subscriptions", "{\"channel\":\"sms\",\"address\":\"612-555\",\"language\":\"en\",\"zones\":[1]}", "address" },
        { "/api/v1/subscriptions", "{\"channel\":\"email\",\"address\":\"not-an-email\",\"language\":\"en\",\"zones\":[1]}", "address" },
        { "/api/v1/subscriptions", "{\"channel\":\"pigeon\",\"address\":\"x\",\"language\":\"en\",\"zones\":[1]}", "channel" },
        { "/api/v1/subscriptions", "{\"channel\":\"sms\",\"address\":\"+16125550100\",\"language\":\"fr\",\"zones\":[1]}", "language" },
        { "/api/v1/subscriptions", "{\"channel\":\"sms\",\"address\":\"+16125550100\",\"language\":\"en\",\"zones\":[9999]}", "zones" },
        { "/api/v1/subscriptions", "{\"channel\":\"sms\",\"address\":\"+16125550100\",\"language\":\"en\"}", "area" },
        { "/api/v1/subscriptions", "{\"channel\":\"sms\",\"address\":\"+16125550100\",\"language\":\"en\",\"circle\":{\"lat\":44.9,\"lon\":-93.2,\"radiusMeters\":5}}", "radiusMeters" },
        { "/api/v1/subscriptions", "{\"channel\":\"webhook\",\"address\":\"http://example.org/hook\",\"language\":\"en\",\"zones\":[1]}", "address" },
        { "/api/v1/subscriptions/confirm", "{\"address\":\"+16125550100\",\"code\":\"12\"}", "code" },
        { "/api/v1/subscriptions/unsubscribe", "{}", "address" },
        { "/api/v1/auth/login", "{\"email\":\"\"}", "email" },
    };
}

public abstract class BadInputTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static TheoryData<string, string, string> Cases => BadInputCases.Cases;

    [Theory]
    [MemberData(nameof(BadInputCases.Cases), MemberType = typeof(BadInputCases))]
    public async Task Bad_input_is_a_400_problem_that_names_the_fault(string path, string body, string mentions)
    {
        var client = app.CreateClient();
        var res = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var text = await res.Content.ReadAsStringAsync();
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.Contains(mentions, text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Rejected_reports_and_subscriptions_store_nothing()
    {
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var before = (await WhistleApp.QueueAsync(dispatcher)).Count;
        foreach (var (path, body, _) in Cases.Select(r => ((string)r[0], (string)r[1], (string)r[2])))
            await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(before, (await WhistleApp.QueueAsync(dispatcher)).Count);
        Assert.DoesNotContain(app.Outbox(), l => l.Recipient.Contains("555"));
    }

    [Fact]
    public async Task Staff_endpoints_reject_bad_input_with_problems_too()
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        async Task Expect(HttpStatusCode code, HttpResponseMessage res, string mentions)
        {
            Assert.Equal(code, res.StatusCode);
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
            Assert.Contains(mentions, await res.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        await Expect(HttpStatusCode.BadRequest, await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true }), "area");
        await Expect(HttpStatusCode.BadRequest, await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { 4242 } }), "zone");
        await Expect(HttpStatusCode.BadRequest, await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { circle = new { lat = 44.9, lon = -93.2, radiusMeters = 500 } }), "sightingId");
        await Expect(HttpStatusCode.BadRequest, await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 44.9, lon = -93.2, radiusMeters = 500 }, expiresInMinutes = 100000 }), "expiresInMinutes");
        await Expect(HttpStatusCode.NotFound, await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = Guid.NewGuid(), circle = new { lat = 44.9, lon = -93.2, radiusMeters = 500 } }), "404");
        await Expect(HttpStatusCode.BadRequest, await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{Guid.NewGuid()}/verification", new { outcome = "maybe" }), "outcome");
        await Expect(HttpStatusCode.NotFound, await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{Guid.NewGuid()}/verification", new { outcome = "confirmed" }), "404");
        await Expect(HttpStatusCode.BadRequest, await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{Guid.NewGuid()}/cancel", new { reason = "bored" }), "reason");
        await Expect(HttpStatusCode.NotFound, await dispatcher.GetAsync("/api/v1/sightings/not-a-guid"), "404");
    }

    [Fact]
    public async Task A_wrong_confirmation_code_is_refused_and_five_wrong_codes_burn_the_code()
    {
        var client = app.CreateClient();
        await app.SubscribeAsync(client, "email", "guesser@example.org", "en", zones: [5], confirm: false);
        var line = await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().LastOrDefault(l => l.Recipient == "guesser@example.org")), l => l is not null, "code");
        var code = System.Text.RegularExpressions.Regex.Match(line!.Text, @"\b\d{6}\b").Value;
        var wrong = code == "000000" ? "111111" : "000000";
        for (int i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = "guesser@example.org", code = wrong })).StatusCode);
        // Even the right code no longer works.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = "guesser@example.org", code })).StatusCode);
    }
}

public sealed class SqliteBadInputTests(SqliteApp app) : BadInputTests<SqliteApp>(app);

public sealed class PostgresBadInputTests(PostgresApp app) : BadInputTests<PostgresApp>(app);
