using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12, section 2: sending is deliberate, once, and reversible only with care. A second alert for a sighting that
/// has a live one is refused naming it (also when two arrive at once); Idempotency-Key returns the first answer to a
/// repeat; a finished alert cannot be cancelled or updated again; a resolved sighting takes no new alert. Over HTTP,
/// on SQLite and PostgreSQL.
/// </summary>
public abstract class SendingTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static object Circle(double lat, double lon) => new { lat, lon, radiusMeters = 1000 };

    private async Task<Guid> ConfirmedAsync(HttpClient dispatcher, HttpClient verifier, double lat, double lon)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon, agents = 2, agency = "ice" });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var sighting = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        return Guid.Parse(sighting);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object body, string? key = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (key is not null) req.Headers.TryAddWithoutValidation(IdempotencyFilter.Header, key);
        return client.SendAsync(req);
    }

    private static async Task<JsonObject> BodyAsync(HttpResponseMessage res) => (await res.Content.ReadFromJsonAsync<JsonObject>())!;

    private async Task<int> AlertsForAsync(Guid sighting)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        return await db.Alerts.CountAsync(a => a.SightingId == sighting && a.Kind == Alerts.AlertKind.Alert);
    }

    [Fact]
    public async Task A_second_alert_for_a_sighting_with_an_active_one_is_refused_naming_it_and_the_sighting_says_which()
    {
        var (dispatcher, verifier) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Verifier));
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.70, -93.60);
        var first = await PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.70, -93.60) });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var firstId = (await BodyAsync(first))["id"]!.GetValue<string>();

        // The Seen: "Send alert…" pressed again sent a second alert to the same people. Now the API refuses it.
        var second = await PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.70, -93.60), place = "again" });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await BodyAsync(second);
        Assert.Equal(firstId, problem["activeAlertId"]!.GetValue<string>());
        Assert.Contains("Update", problem["detail"]!.GetValue<string>());
        Assert.Equal(1, await AlertsForAsync(sighting));

        // The page learns it from the sighting and the preview, not only from its own memory.
        var detail = await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}");
        Assert.Equal(firstId, detail!["activeAlertId"]!.GetValue<string>());
        Assert.Equal("active", detail["alerts"]![0]!["state"]!.GetValue<string>());
        var preview = await BodyAsync(await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", new { sightingId = sighting, circle = Circle(44.70, -93.60) }));
        Assert.Equal(firstId, preview["activeAlertId"]!.GetValue<string>());

        // The way forward is an update of that alert.
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(dispatcher, $"/api/v1/alerts/{firstId}/update", new { place = "moved north" })).StatusCode);
    }

    [Fact]
    public async Task Two_tabs_sending_at_the_same_moment_make_one_alert_and_the_others_hear_409()
    {
        var (dispatcher, verifier) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Verifier));
        var other = await app.StaffAsync(Roles.Dispatcher);
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.60, -93.70);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            PostAsync(i % 2 == 0 ? dispatcher : other, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.60, -93.70) })));
        var statuses = results.Select(r => r.StatusCode).ToList();
        Assert.Single(statuses, HttpStatusCode.Created);
        Assert.All(statuses.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));
        Assert.Equal(1, await AlertsForAsync(sighting));
    }

    [Fact]
    public async Task A_repeated_Idempotency_Key_returns_the_first_answer_and_a_changed_body_is_refused()
    {
        var (dispatcher, verifier) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Verifier));
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.50, -93.80);
        var key = Guid.NewGuid().ToString();
        var body = new { sightingId = sighting, circle = Circle(44.50, -93.80) };

        var first = await PostAsync(dispatcher, "/api/v1/alerts", body, key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var firstBody = await first.Content.ReadAsStringAsync();
        var retried = await PostAsync(dispatcher, "/api/v1/alerts", body, key);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(firstBody, await retried.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, retried.Headers.Location);
        Assert.Equal(1, await AlertsForAsync(sighting));

        // The same key for other words is a client bug, not a repeat.
        var changed = await PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.50, -93.80), place = "elsewhere" }, key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.StatusCode);
        Assert.Equal("application/problem+json", changed.Content.Headers.ContentType?.MediaType);

        // Keys belong to who sent them: another dispatcher's same key is its own request (here refused: one live alert).
        var other = await app.StaffAsync(Roles.Dispatcher);
        var theirs = await PostAsync(other, "/api/v1/alerts", body, key);
        Assert.Equal(HttpStatusCode.Conflict, theirs.StatusCode);
        // … and a second sighting under the same key by that other dispatcher goes out.
        var sighting2 = await ConfirmedAsync(dispatcher, verifier, 44.45, -93.95);
        var own = await PostAsync(other, "/api/v1/alerts", new { sightingId = sighting2, circle = Circle(44.45, -93.95) }, key + "-2");
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);

        // A key that is no key.
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(dispatcher, "/api/v1/alerts", body, new string('k', 300))).StatusCode);
    }

    [Fact]
    public async Task A_double_click_with_one_key_sent_at_once_makes_one_alert_each_answer_is_it_or_in_progress()
    {
        var (dispatcher, verifier) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Verifier));
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.40, -93.50);
        var key = Guid.NewGuid().ToString();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.40, -93.50) }, key)));
        Assert.Equal(1, await AlertsForAsync(sighting));
        var created = results.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        var ids = await Task.WhenAll(created.Select(async r => (await BodyAsync(r))["id"]!.GetValue<string>()));
        Assert.Single(ids.Distinct());
        Assert.All(results, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
    }

    [Fact]
    public async Task Cancelling_twice_sends_one_all_clear_a_repeat_with_the_key_replays_it_and_a_cancelled_alert_takes_no_update()
    {
        var (dispatcher, verifier) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Verifier));
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.30, -93.40);
        var id = (await BodyAsync(await PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.30, -93.40) })))["id"]!.GetValue<string>();

        var key = Guid.NewGuid().ToString();
        var cancels = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            PostAsync(dispatcher, $"/api/v1/alerts/{id}/cancel", new { reason = "all_clear" }, i == 0 ? key : null)));
        Assert.Single(cancels, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(cancels.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            Assert.Equal(1, await db.Alerts.CountAsync(a => a.ReferencesId == Guid.Parse(id) && a.Kind == Alerts.AlertKind.Cancel));
        }

        var again = await PostAsync(dispatcher, $"/api/v1/alerts/{id}/cancel", new { reason = "false_alarm" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already cancelled", (await BodyAsync(again))["detail"]!.GetValue<string>());
        var update = await PostAsync(dispatcher, $"/api/v1/alerts/{id}/update", new { place = "still here" });
        Assert.Equal(HttpStatusCode.Conflict, update.StatusCode);
        Assert.Contains("cancelled", (await BodyAsync(update))["detail"]!.GetValue<string>());

        // The key's first answer, whatever it was, is what a repeat with that key hears.
        var first = cancels[0];
        var replay = await PostAsync(dispatcher, $"/api/v1/alerts/{id}/cancel", new { reason = "all_clear" }, key);
        Assert.Equal(first.StatusCode, replay.StatusCode);
        var (a, b) = (await BodyAsync(first), await BodyAsync(replay));
        a.Remove("traceId"); // a problem's traceId names the request that carried it, not the answer
        Assert.Equal(a.ToJsonString(), b.ToJsonString());
    }

    [Fact]
    public async Task A_resolved_sighting_takes_no_new_alert_nor_an_update_but_its_live_alert_can_still_be_called_off()
    {
        var (dispatcher, verifier) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Verifier));
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.20, -93.30);
        var id = (await BodyAsync(await PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.20, -93.30) })))["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/resolve", new { note = "gone" })).StatusCode);

        var send = await PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = Circle(44.20, -93.30) });
        Assert.Equal(HttpStatusCode.Conflict, send.StatusCode);
        Assert.Contains("resolved", (await BodyAsync(send))["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(dispatcher, $"/api/v1/alerts/{id}/update", new { place = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(dispatcher, $"/api/v1/alerts/{id}/cancel", new { reason = "all_clear" })).StatusCode);
        var detail = await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}");
        Assert.Null(detail!["activeAlertId"]);
        Assert.Equal("cancelled", detail["alerts"]![0]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_preview_counts_recipients_per_channel_and_language_and_an_alerts_all_clear_count_is_known()
    {
        var (dispatcher, verifier) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Verifier));
        await Seed.SubscribersAsync(app, 3, 44.10, -93.20, SubscriberChannel.Sms, first: 7100, language: "es");
        await Seed.SubscribersAsync(app, 2, 44.10, -93.20, SubscriberChannel.Sms, first: 7200, language: "so");
        await Seed.SubscribersAsync(app, 1, 44.10, -93.20, SubscriberChannel.Email, first: 7300, language: "hmn");
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.10, -93.20);
        var body = new { sightingId = sighting, circle = Circle(44.10, -93.20) };
        var preview = await BodyAsync(await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", body));
        Assert.Equal(6, preview["recipients"]!.GetValue<int>());
        Assert.Equal(3, preview["channels"]!["sms"]!["languages"]!["es"]!.GetValue<int>());
        Assert.Equal(2, preview["channels"]!["sms"]!["languages"]!["so"]!.GetValue<int>());
        Assert.Equal(1, preview["channels"]!["email"]!["languages"]!["hmn"]!.GetValue<int>());
        Assert.Equal(3, preview["languages"]!["es"]!.GetValue<int>());
        Assert.Equal(100, preview["typedConfirmationAbove"]!.GetValue<int>());

        var id = (await BodyAsync(await PostAsync(dispatcher, "/api/v1/alerts", body)))["id"]!.GetValue<string>();
        await WhistleApp.EventuallyAsync(() => dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"),
            a => a!["reached"]?.GetValue<int>() == 6, "the alert to reach all six");
    }

    [Fact]
    public async Task Idempotency_keys_expire_and_are_swept_away()
    {
        var dispatcher = await app.StaffAsync(Roles.Dispatcher);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            db.IdempotentRequests.Add(new IdempotentRequest
            {
                UserId = "someone", Key = "old", Endpoint = "POST /api/v1/alerts", Fingerprint = "x", Status = 201,
                CreatedAt = DateTimeOffset.UtcNow.AddDays(-2), ExpiresAt = DateTimeOffset.UtcNow.AddDays(-1),
            });
            await db.SaveChangesAsync();
        }
        var res = await PostAsync(dispatcher, "/api/v1/alerts", new { drill = true, circle = Circle(44.00, -93.10) }, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            Assert.False(await db.IdempotentRequests.AnyAsync(r => r.Key == "old"));
            Assert.True(await db.IdempotentRequests.AnyAsync(r => r.Status == 201));
        }
    }
}

public sealed class SendingTestsSqlite(SqliteApp app) : SendingTests<SqliteApp>(app);

public sealed class SendingTestsPostgres(PostgresApp app) : SendingTests<PostgresApp>(app);
