using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;
using Whistle.Fakes;

namespace Whistle.Tests.Api;

/// <summary>SMS through a Twilio-speaking provider over real HTTP both ways, with signed status callbacks.</summary>
[Collection(TimedCollection.Name)]
public sealed class SmsTests
{
    [Fact]
    public async Task Codes_and_alerts_go_out_through_Twilio_and_only_signed_callbacks_update_the_outbox()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        int port = CustomApp.FreePort();
        using var app = new CustomApp(new(twilio.Settings()) { ["Whistle:PublicBaseUrl"] = $"http://127.0.0.1:{port}" }, kestrelPort: port);
        var client = app.CreateClient();
        var here = new { lat = 45.3, lon = -93.9, radiusMeters = 300 };

        async Task<FakeSms> Next(string to, int nth = 1) => (await WhistleApp.EventuallyAsync(
            () => Task.FromResult(twilio.Received.Where(m => m.To == to).Skip(nth - 1).FirstOrDefault()), m => m is not null, $"an SMS to {to}"))!;
        async Task Subscribe(string number, string language)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "sms", address = number, language, circle = here, drills = true })).StatusCode);
            var code = Regex.Match((await Next(number)).Body, @"\b\d{6}\b").Value;
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = number, code })).StatusCode);
        }
        await Subscribe("+16125550161", "es");
        await Subscribe("+16125550162", "en");
        Assert.StartsWith("Whistle: su código es", (await Next("+16125550161")).Body);
        Assert.Empty(app.Outbox()); // nothing went to the development sink

        // The first attempt meets a provider error and is retried; the second number is refused as invalid.
        twilio.NextFailures.Enqueue(500);
        twilio.InvalidNumbers["+16125550162"] = true;
        var dispatcher = await app.StaffAsync("dispatcher");
        var created = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = here });
        var id = Guid.Parse((await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        var alert = await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal(1, alert["deliveries"]!["sent"]!.GetValue<int>());
        Assert.Equal(1, alert["deliveries"]!["dead"]!.GetValue<int>());
        var sms = await Next("+16125550161", 2);
        Assert.StartsWith("SIMULACRO", sms.Body);
        Assert.Equal("+16125550100", sms.From);
        Assert.Single(twilio.Received, m => m.To == "+16125550161" && m.Body.StartsWith("SIMULACRO"));

        // A forged callback changes nothing; Twilio's own marks the delivery delivered.
        var forged = await twilio.SendStatusAsync(sms, "delivered", signingToken: "not-the-token");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(0, (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["deliveries"]!["delivered"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NoContent, (await twilio.SendStatusAsync(sms, "delivered")).StatusCode);
        Assert.Equal(1, (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["deliveries"]!["delivered"]!.GetValue<int>());
    }

    private static CustomApp Start(FakeTwilio twilio, string from, double perSecond, int leaseSeconds = 60)
    {
        int port = CustomApp.FreePort();
        return new CustomApp(new(twilio.Settings(from, perSecond))
        {
            ["Whistle:Delivery:LeaseSeconds"] = leaseSeconds.ToString(),
            ["Whistle:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
        }, kestrelPort: port);
    }

    /// <summary>Confirmed SMS subscribers written straight to the database (their sign-up is not what is tested).</summary>
    private static async Task SeedAsync(CustomApp app, int count, double lat, double lon)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
        var now = DateTimeOffset.UtcNow;
        for (int i = 0; i < count; i++)
        {
            var number = $"+1612555{1000 + i:D4}";
            db.Subscribers.Add(new Subscriber
            {
                Channel = SubscriberChannel.Sms, AddressCipher = keys.Encrypt(number, Purpose.SubscriberAddress),
                AddressHash = keys.Hash(Addresses.LookupKey(SubscriberChannel.Sms, number)), Language = "en",
                AreaCipher = new SealedCircle(lat, lon, 200).Seal(keys), State = SubscriberState.Confirmed, Drills = true,
                CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
            });
        }
        await db.SaveChangesAsync();
    }

    private static async Task<Guid> DrillAsync(CustomApp app, double lat, double lon)
    {
        var dispatcher = await app.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat, lon, radiusMeters = 500 } });
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, id);
        return id;
    }

    [Fact]
    public async Task No_one_second_window_carries_more_than_each_senders_rate()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        using var app = Start(twilio, "+16125550100, +16125550199", perSecond: 4);
        await SeedAsync(app, 20, 45.1, -94.2);
        await DrillAsync(app, 45.1, -94.2);
        var got = twilio.Received.ToList();
        Assert.Equal(20, got.Count);
        foreach (var sender in got.GroupBy(m => m.From))
        {
            var times = sender.Select(m => m.ReceivedAt).Order().ToList();
            foreach (var t in times)
                Assert.True(times.Count(u => u >= t && u < t.AddSeconds(1)) <= 4, $"{sender.Key}: more than 4 in the second from {t:O}");
        }
        Assert.Equal(2, got.Select(m => m.From).Distinct().Count()); // both numbers of the pool were used
    }

    [Fact]
    public async Task A_429_is_retried_no_sooner_than_its_Retry_After()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        using var app = Start(twilio, "+16125550100", perSecond: 50);
        await SeedAsync(app, 1, 45.2, -94.3);
        twilio.NextFailures.Enqueue(429);
        await DrillAsync(app, 45.2, -94.3);
        var tries = twilio.Requests.Where(r => r.To == "+16125551000").OrderBy(r => r.At).ToList();
        Assert.Equal([429, 201], tries.Select(r => r.Status));
        Assert.True(tries[1].At - tries[0].At >= TimeSpan.FromSeconds(1), $"retried after {(tries[1].At - tries[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_paced_batch_that_outlasts_its_lease_keeps_its_rows_from_other_relays()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        using var app = Start(twilio, "+16125550100", perSecond: 4, leaseSeconds: 2);
        await SeedAsync(app, 14, 45.4, -94.5); // ~3.7 s of sending against a 2 s lease
        var dispatcher = await app.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 45.4, lon = -94.5, radiusMeters = 500 } });
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());

        // Once this relay has its batch (all 14: one batch holds five seconds of sending) and is pacing it
        // out, another relay keeps trying to take work.
        await WhistleApp.EventuallyAsync(() => Task.FromResult(twilio.Received.Count), n => n >= 1, "the first message");
        int stolen = 0;
        await WhistleApp.EventuallyAsync(async () =>
        {
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
                stolen += (await Whistle.Delivery.DeliveryStore.ClaimAsync(db, Whistle.Subscriptions.SubscriberChannel.Sms, 100, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), default)).Count;
            }
            return (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!;
        }, a => a["deliveries"]!["sent"]!.GetValue<int>() == 14 || stolen > 0, "the alert to be sent");
        Assert.Equal(0, stolen);
        Assert.Equal(14, twilio.Received.Select(m => m.To).Distinct().Count());
        Assert.Equal(14, twilio.Received.Count);
    }
}
