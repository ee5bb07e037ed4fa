using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Fakes;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>Webhooks: signed JSON POSTs (Standard Webhooks) to a receiver over real HTTP that verifies them.</summary>
public sealed class WebhookTests
{
    private static async Task<FakeWebhook> NextAsync(FakeWebhookReceiver hooks, Func<FakeWebhook, bool> which, string what) =>
        (await WhistleApp.EventuallyAsync(() => Task.FromResult(hooks.Received.FirstOrDefault(which)), h => h is not null, what))!;

    private static JsonObject Json(FakeWebhook hook) => JsonNode.Parse(hook.Body)!.AsObject();

    /// <summary>Subscribes a hook and confirms with the code that arrives at it as a signed message.</summary>
    private static async Task<(long Id, FakeWebhook Code)> SubscribeAsync(WhistleApp app, HttpClient client, FakeWebhookReceiver hooks, string path, string language, object circle)
    {
        var address = hooks.BaseUrl + path;
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "webhook", address, language, circle, secret = hooks.Secret, drills = true });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var id = await app.SubscriberIdAsync("webhook", address);
        var hook = await NextAsync(hooks, h => h.Path == path && Json(h)["type"]!.GetValue<string>() == "message", $"the code at {path}");
        var code = Regex.Match(Json(hook)["text"]!.GetValue<string>(), @"\b\d{6}\b").Value;
        var ok = await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address, code, channel = "webhook" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        return (id, hook);
    }

    private static async Task<JsonObject> DrillAsync(HttpClient dispatcher, object circle)
    {
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        return await WhistleApp.DeliveredAsync(dispatcher, id);
    }

    [Fact]
    public async Task Codes_and_alerts_arrive_as_signed_JSON_the_receiver_verifies()
    {
        await using var hooks = await FakeWebhookReceiver.StartAsync();
        using var app = new CustomApp([]);
        var client = app.CreateClient();
        var here = new { lat = 45.41, lon = -94.01, radiusMeters = 300 };

        var (_, code) = await SubscribeAsync(app, client, hooks, "/hook", "es", here);
        var codeBody = Json(code);
        Assert.Equal("es", codeBody["language"]!.GetValue<string>());
        Assert.StartsWith("Whistle: su código es", codeBody["text"]!.GetValue<string>());
        Assert.Null(codeBody["id"]); // a direct message carries no alert
        Assert.Matches("^m[0-9]+$", code.Id);
        Assert.True(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - code.Timestamp) < 60);
        Assert.Empty(app.Outbox()); // nothing went to the development sink

        var dispatcher = await app.StaffAsync("dispatcher");
        var alert = await DrillAsync(dispatcher, here);
        Assert.Equal(1, alert["deliveries"]!["sent"]!.GetValue<int>());
        var id = alert["id"]!.GetValue<string>();
        var hook = await NextAsync(hooks, h => Json(h)["type"]!.GetValue<string>() == "alert", "the alert");
        var body = Json(hook);
        Assert.Equal(id, body["id"]!.GetValue<string>());
        Assert.Equal("es", body["language"]!.GetValue<string>());
        Assert.Equal(alert["messages"]!["es"]!.GetValue<string>(), body["text"]!.GetValue<string>());
        Assert.StartsWith("SIMULACRO", body["text"]!.GetValue<string>());
        Assert.True(body["drill"]!.GetValue<bool>());
        Assert.Equal(alert["activity"]!.GetValue<string>(), body["activity"]!.GetValue<string>());
        Assert.Equal(alert["place"]!.GetValue<string>(), body["place"]!.GetValue<string>());
        Assert.Equal(DateTimeOffset.Parse(alert["sentAt"]!.GetValue<string>()), DateTimeOffset.Parse(body["sentAt"]!.GetValue<string>()));
        Assert.Equal(DateTimeOffset.Parse(alert["expiresAt"]!.GetValue<string>()), DateTimeOffset.Parse(body["expiresAt"]!.GetValue<string>()));
        Assert.Null(body["references"]);
        Assert.Equal(2, hooks.Requests.Count); // the code and the alert; none refused (a bad signature would be a 401)
        Assert.All(hooks.Requests, r => Assert.Equal(204, r.Status));

        // The cancel goes to the same hook, referencing the alert.
        var cancel = await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/cancel", new { reason = "all_clear" });
        Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());
        var cancelled = Json(await NextAsync(hooks, h => Json(h)["type"]!.GetValue<string>() == "cancel", "the cancel"));
        Assert.Equal(id, cancelled["references"]!.GetValue<string>());
        Assert.Equal("all_clear", cancelled["cancelReason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("whsec_")]
    [InlineData("not-a-secret")]
    [InlineData("whsec_c2hvcnQ=")] // 5 bytes: too short
    public async Task A_missing_or_short_secret_is_a_400_naming_secret(string? secret)
    {
        using var app = new CustomApp([]);
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions",
            new { channel = "webhook", address = "https://bots.example.org/hook", language = "en", zones = new[] { 1 }, secret });
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var errors = (await res.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(["secret"], errors.Select(e => e.Key));
    }

    [Fact]
    public async Task A_receiver_answering_500_once_gets_the_alert_exactly_once_on_the_retry()
    {
        await using var hooks = await FakeWebhookReceiver.StartAsync();
        using var app = new CustomApp([]);
        var here = new { lat = 45.43, lon = -94.03, radiusMeters = 300 };
        await SubscribeAsync(app, app.CreateClient(), hooks, "/flaky", "en", here);

        hooks.NextFailures.Enqueue(500);
        var alert = await DrillAsync(await app.StaffAsync("dispatcher"), here);
        Assert.Equal(1, alert["deliveries"]!["sent"]!.GetValue<int>());
        var delivered = Assert.Single(hooks.Received, h => Json(h)["type"]!.GetValue<string>() == "alert");
        // The same webhook-id on both attempts, so a receiver can tell a repeat; each attempt freshly signed.
        Assert.Equal([500, 204], hooks.Requests.Where(r => r.Id == delivered.Id).Select(r => r.Status));
    }

    [Fact]
    public async Task A_receiver_answering_410_is_unsubscribed()
    {
        await using var hooks = await FakeWebhookReceiver.StartAsync();
        using var app = new CustomApp([]);
        var here = new { lat = 45.45, lon = -94.05, radiusMeters = 300 };
        var (id, _) = await SubscribeAsync(app, app.CreateClient(), hooks, "/gone", "en", here);

        hooks.Gone["/gone"] = true;
        var dispatcher = await app.StaffAsync("dispatcher");
        var alert = await DrillAsync(dispatcher, here);
        Assert.Equal(1, alert["deliveries"]!["dead"]!.GetValue<int>());
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var sub = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Subscribers.SingleAsync(s => s.Id == id);
            Assert.Equal(SubscriberState.Unsubscribed, sub.State);
            Assert.Null(sub.AddressCipher);
        }
        var next = await DrillAsync(dispatcher, here);
        Assert.Equal(0, next["recipients"]!.GetValue<int>());
        Assert.Single(hooks.Requests, r => r.Status == 410);
    }
}
