using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Fakes;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>A Whistle with a public URL, and a local push service whose subscriptions the tests make as browsers would.</summary>
public sealed class WebPushApp : IAsyncLifetime
{
    public const string PublicBaseUrl = "https://alerts.example.org";
    public CustomApp App { get; } = new(new() { ["Whistle:PublicBaseUrl"] = PublicBaseUrl });
    public FakePushService Push { get; private set; } = null!;

    public async Task InitializeAsync() => Push = await FakePushService.StartAsync();

    public async Task DisposeAsync()
    {
        App.Dispose();
        await Push.DisposeAsync();
    }
}

/// <summary>Web push end to end: VAPID-signed, browser-encrypted pushes over real HTTP to a push service that checks both.</summary>
public sealed class WebPushTests(WebPushApp fixture) : IClassFixture<WebPushApp>
{
    private readonly CustomApp app = fixture.App;
    private readonly FakePushService push = fixture.Push;

    private static async Task<string> KeyAsync(HttpClient client)
    {
        var res = await client.GetAsync("/api/v1/push/key");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["publicKey"]!.GetValue<string>();
    }

    private async Task<FakePush> NextAsync(FakePushSubscription sub, string kind, int nth = 1) => (await WhistleApp.EventuallyAsync(
        () => Task.FromResult(push.To(sub).Where(p => p.Payload.GetProperty("kind").GetString() == kind).Skip(nth - 1).FirstOrDefault()),
        p => p is not null, $"push #{nth} of kind {kind}"))!;

    /// <summary>Subscribes as a page would with the browser's subscription, and confirms with the code that arrives by push.</summary>
    private async Task<long> SubscribeAsync(HttpClient client, FakePushSubscription sub, string language, object circle)
    {
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions", new
        {
            channel = "webpush", address = sub.Endpoint, language, circle, keys = new { p256dh = sub.P256dh, auth = sub.Auth }, drills = true,
        });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var id = await app.SubscriberIdAsync("webpush", sub.Endpoint);
        var code = Regex.Match((await NextAsync(sub, "message")).Payload.GetProperty("body").GetString()!, @"\b\d{6}\b").Value;
        var ok = await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = sub.Endpoint, code, channel = "webpush" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        return id;
    }

    private static async Task<(Guid Id, int Recipients)> PostAsync(HttpClient staff, string path, object body)
    {
        var res = await staff.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var json = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        return (Guid.Parse(json["id"]!.GetValue<string>()), json["recipients"]!.GetValue<int>());
    }

    private static string Topic(Guid id) => Base64Url.EncodeToString(id.ToByteArray(bigEndian: true));

    [Fact]
    public async Task The_push_key_is_a_P256_point_kept_in_a_0600_file_and_the_same_after_a_restart()
    {
        var key = await KeyAsync(app.CreateClient());
        var point = Base64Url.DecodeFromChars(key);
        Assert.Equal(65, point.Length);
        Assert.Equal(0x04, point[0]);
        using (ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..] } })) { }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(app.DataDir, "vapid.json")));

        using (var restarted = new CustomApp(new(app.Settings)))
            Assert.Equal(key, await KeyAsync(restarted.CreateClient()));
        using (var elsewhere = new CustomApp(new()))
            Assert.NotEqual(key, await KeyAsync(elsewhere.CreateClient()));
    }

    [Fact]
    public async Task Code_alert_update_and_cancel_arrive_as_pushes_the_browser_decrypts_with_one_topic()
    {
        var client = app.CreateClient();
        push.ExpectedApplicationServerKey = await KeyAsync(client); // what the page subscribed with
        var sub = push.NewSubscription();
        var here = new { lat = 44.9612, lon = -93.2478, radiusMeters = 300 };
        await SubscribeAsync(client, sub, "es", here);

        var codePush = push.To(sub).Single();
        Assert.StartsWith("Whistle: su código es", codePush.Payload.GetProperty("body").GetString());
        Assert.Equal("normal", codePush.Urgency);
        Assert.Null(codePush.Topic);
        Assert.Equal(24 * 3600, codePush.Ttl);
        Assert.Equal(JsonValueKind.Null, codePush.Payload.GetProperty("url").ValueKind);

        // A confirmed sighting, then the alert.
        var dispatcher = await app.StaffAsync("dispatcher");
        var report = await client.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = here.lat, lon = here.lon });
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        var (id, recipients) = await PostAsync(dispatcher, "/api/v1/alerts", new { sightingId = sighting, circle = new { here.lat, here.lon, radiusMeters = 500 } });
        Assert.Equal(1, recipients);
        var view = await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal(1, view["deliveries"]!["sent"]!.GetValue<int>());

        var alert = await NextAsync(sub, "alert");
        var payload = alert.Payload;
        var spanish = view["messages"]!["es"]!.GetValue<string>();
        Assert.StartsWith("VERIFICADO", spanish);
        Assert.Equal(spanish, payload.GetProperty("body").GetString());
        Assert.Equal("high", alert.Urgency);
        Assert.Equal(Topic(id), alert.Topic);
        var sentAt = view["sentAt"]!.GetValue<DateTimeOffset>();
        var expiresAt = view["expiresAt"]!.GetValue<DateTimeOffset>();
        // Never longer than the alert is in force (counted from before it was sent), and not much shorter.
        Assert.InRange(alert.Ttl, (int)(expiresAt - alert.ReceivedAt).TotalSeconds - 5, (int)(expiresAt - sentAt).TotalSeconds);
        Assert.Equal(id, payload.GetProperty("alertId").GetGuid());
        Assert.Equal($"{WebPushApp.PublicBaseUrl}/#alert-{id}", payload.GetProperty("url").GetString());
        Assert.Equal(expiresAt, payload.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.False(string.IsNullOrWhiteSpace(payload.GetProperty("title").GetString()));

        var (updateId, _) = await PostAsync(dispatcher, $"/api/v1/alerts/{id}/update", new { place = "Lake St & 28th Ave" });
        await WhistleApp.DeliveredAsync(dispatcher, updateId);
        var update = await NextAsync(sub, "update");
        Assert.Equal(Topic(id), update.Topic);
        Assert.Equal("high", update.Urgency);
        Assert.Equal(updateId, update.Payload.GetProperty("alertId").GetGuid());
        Assert.Equal($"{WebPushApp.PublicBaseUrl}/#alert-{id}", update.Payload.GetProperty("url").GetString());
        Assert.Contains("Lake St & 28th Ave", update.Payload.GetProperty("body").GetString());

        var (cancelId, _) = await PostAsync(dispatcher, $"/api/v1/alerts/{id}/cancel", new { reason = "all_clear" });
        await WhistleApp.DeliveredAsync(dispatcher, cancelId);
        var cancel = await NextAsync(sub, "cancel");
        Assert.Equal(Topic(id), cancel.Topic);
        Assert.Equal("high", cancel.Urgency);
        Assert.Equal(12 * 3600, cancel.Ttl);
        Assert.StartsWith("FIN DE ALERTA", cancel.Payload.GetProperty("body").GetString());

        Assert.Equal(4, push.To(sub).Count());
        Assert.DoesNotContain(app.Outbox(), l => l.Channel == "webpush"); // nothing went to the development sink
        // The endpoint and keys are a subscriber's address: no log line names them.
        Assert.DoesNotContain(app.Logs, l => l.Contains(sub.Id) || l.Contains(sub.P256dh) || l.Contains(sub.Auth));
    }

    [Fact]
    public async Task Missing_or_malformed_keys_are_a_400_naming_keys_p256dh_and_keys_auth()
    {
        var client = app.CreateClient();
        var sub = push.NewSubscription();
        var here = new { lat = 44.95, lon = -93.27, radiusMeters = 300 };
        object[] bodies =
        [
            new { channel = "webpush", address = sub.Endpoint, language = "en", circle = here },
            new { channel = "webpush", address = sub.Endpoint, language = "en", circle = here,
                  keys = new { p256dh = "not-a-key", auth = Base64Url.EncodeToString(new byte[8]) } },
        ];
        foreach (var body in bodies)
        {
            var res = await client.PostAsJsonAsync("/api/v1/subscriptions", body);
            Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
            var errors = (await res.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
            Assert.True(errors.ContainsKey("keys.p256dh"), errors.ToJsonString());
            Assert.True(errors.ContainsKey("keys.auth"), errors.ToJsonString());
        }
        Assert.Empty(push.To(sub));
    }

    [Fact]
    public async Task A_subscription_the_push_service_dropped_ends_dead_and_is_unsubscribed_and_forgotten()
    {
        push.ExpectedApplicationServerKey = null;
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var here = new { lat = 44.9301, lon = -93.2199, radiusMeters = 300 };
        var healthy = push.NewSubscription();
        var dropped = push.NewSubscription();
        await SubscribeAsync(client, healthy, "en", here);
        var droppedId = await SubscribeAsync(client, dropped, "en", here);
        push.Answer(dropped.Id, 410); // the browser unsubscribed

        var area = new { here.lat, here.lon, radiusMeters = 500 };
        var (first, recipients) = await PostAsync(dispatcher, "/api/v1/alerts", new { drill = true, circle = area });
        Assert.Equal(2, recipients);
        var view = await WhistleApp.DeliveredAsync(dispatcher, first);
        Assert.Equal(1, view["deliveries"]!["sent"]!.GetValue<int>());
        Assert.Equal(1, view["deliveries"]!["dead"]!.GetValue<int>());
        Assert.Single(push.Requests, r => r.SubscriptionId == dropped.Id && r.Status == 410); // not retried

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var seq = await db.Alerts.Where(a => a.Id == first).Select(a => a.Seq).SingleAsync();
            var delivery = await db.Deliveries.SingleAsync(d => d.AlertSeq == seq && d.SubscriberId == droppedId);
            Assert.Equal("push service: 410 gone", delivery.LastError);
            var subscriber = await db.Subscribers.SingleAsync(s => s.Id == droppedId);
            Assert.Equal(SubscriberState.Unsubscribed, subscriber.State);
            Assert.Null(subscriber.AddressCipher);
            Assert.Null(subscriber.SecretCipher);
        }

        var (second, next) = await PostAsync(dispatcher, "/api/v1/alerts", new { drill = true, circle = area });
        Assert.Equal(1, next);
        await WhistleApp.DeliveredAsync(dispatcher, second);
        Assert.Equal(2, push.To(healthy).Count(p => p.Payload.GetProperty("kind").GetString() == "alert"));
        Assert.Single(push.Requests, r => r.SubscriptionId == dropped.Id && r.Status == 410);
    }

    [Fact]
    public async Task A_429_is_retried_no_sooner_than_its_Retry_After_and_delivered_once()
    {
        push.ExpectedApplicationServerKey = null;
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var here = new { lat = 44.9105, lon = -93.3001, radiusMeters = 300 };
        var sub = push.NewSubscription();
        await SubscribeAsync(client, sub, "en", here);

        push.FailNext(429);
        var (id, _) = await PostAsync(dispatcher, "/api/v1/alerts", new { drill = true, circle = new { here.lat, here.lon, radiusMeters = 500 } });
        var view = await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal(1, view["deliveries"]!["sent"]!.GetValue<int>());

        var tries = push.Requests.Where(r => r.SubscriptionId == sub.Id).OrderBy(r => r.At).ToList();
        Assert.Equal([201, 429, 201], tries.Select(r => r.Status)); // the code, then the alert twice
        Assert.True(tries[2].At - tries[1].At >= TimeSpan.FromSeconds(1), $"retried after {(tries[2].At - tries[1].At).TotalMilliseconds} ms");
        Assert.Single(push.To(sub), p => p.Payload.GetProperty("kind").GetString() == "alert");
    }
}
