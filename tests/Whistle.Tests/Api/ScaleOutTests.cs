using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Fakes;
using Whistle.Privacy;
using Whistle.Subscriptions;
using Xunit.Abstractions;

namespace Whistle.Tests.Api;

/// <summary>Two Whistle processes' worth of app over one PostgreSQL database, both relaying one outbox.</summary>
public sealed class ScaleOutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_instances_sharing_one_postgres_outbox_message_every_recipient_exactly_once()
    {
        var keys = KeyRing.CreateNew().ToJson();
        var shared = new Dictionary<string, string?>
        {
            ["Whistle:Encryption:Keys"] = keys,
            ["Whistle:Delivery:BatchSize"] = "7",
            ["Whistle:Delivery:PollMilliseconds"] = "20",
        };
        using var a = new CustomApp(new(shared), db: Db.Postgres);
        _ = a.Services;
        using var b = new CustomApp(new(shared)
        {
            ["Whistle:Database:Provider"] = "postgres",
            ["Whistle:Database:ConnectionString"] = a.Settings["Whistle:Database:ConnectionString"],
        });
        _ = b.Services;

        const int count = 400;
        var here = new Whistle.Geo.GeoPoint(46.8, -92.1);
        await using (var scope = a.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var ring = scope.ServiceProvider.GetRequiredService<KeyRing>();
            var now = DateTimeOffset.UtcNow;
            for (int i = 0; i < count; i++)
            {
                var address = $"scale{i}@example.org";
                var p = here.Offset(5 * i, 90);
                db.Subscribers.Add(new Subscriber
                {
                    Channel = SubscriberChannel.Email, AddressCipher = ring.Encrypt(address, Purpose.SubscriberAddress),
                    AddressHash = ring.Hash(Addresses.LookupKey(SubscriberChannel.Email, address)), Language = "en",
                    AreaCipher = new SealedCircle(p.Lat, p.Lon, 100).Seal(ring), State = SubscriberState.Confirmed, Drills = true,
                    CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
                });
            }
            await db.SaveChangesAsync();
        }

        var dispatcher = await a.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = here.Lat, lon = here.Lon, radiusMeters = 3000 } });
        var created = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(count, created["recipients"]!.GetValue<int>());
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        var alert = await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal(count, alert["deliveries"]!["sent"]!.GetValue<int>());

        var fromA = a.Outbox().Where(l => l.AlertId == id).Select(l => l.Recipient).ToList();
        var fromB = b.Outbox().Where(l => l.AlertId == id).Select(l => l.Recipient).ToList();
        var all = fromA.Concat(fromB).ToList();
        Assert.Equal(count, all.Count);
        Assert.Equal(count, all.Distinct().Count());
        Assert.Empty(fromA.Intersect(fromB));
        output.WriteLine($"instance A sent {fromA.Count}, instance B sent {fromB.Count}");
    }

    /// <summary>
    /// Every channel through its local fake, two instances relaying one PostgreSQL outbox: each fake
    /// hears from each of its recipients exactly once — no one is messaged by both instances.
    /// </summary>
    [Fact]
    public async Task Two_instances_send_every_channel_through_its_provider_once_per_recipient()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var smtp = await FakeSmtp.StartAsync();
        await using var push = await FakePushService.StartAsync();
        await using var hooks = await FakeWebhookReceiver.StartAsync();
        var shared = new Dictionary<string, string?>
        {
            ["Whistle:Encryption:Keys"] = KeyRing.CreateNew().ToJson(),
            ["Whistle:Delivery:BatchSize"] = "7",
            ["Whistle:Delivery:PollMilliseconds"] = "20",
            ["Whistle:PublicBaseUrl"] = "http://127.0.0.1:9",
            ["Whistle:Sms:Twilio:BaseUrl"] = twilio.BaseUrl,
            ["Whistle:Sms:Twilio:AccountSid"] = FakeTwilio.AccountSid,
            ["Whistle:Sms:Twilio:AuthToken"] = FakeTwilio.AuthToken,
            ["Whistle:Sms:Twilio:From"] = "+16125550100, +16125550101",
            ["Whistle:Sms:Twilio:MessagesPerSecond"] = "500",
            ["Whistle:Email:Smtp:Host"] = smtp.Host,
            ["Whistle:Email:Smtp:Port"] = smtp.Port.ToString(),
            ["Whistle:Email:Smtp:Security"] = "none",
            ["Whistle:Email:From"] = "alerts@whistle.test",
            ["Whistle:Email:MessagesPerSecond"] = "500",
        };
        using var a = new CustomApp(new(shared), db: Db.Postgres);
        a.Services.GetRequiredService<Whistle.Delivery.Push.VapidKeys>(); // made on first use, in a's data dir
        using var b = new CustomApp(new(shared)
        {
            ["Whistle:Database:Provider"] = "postgres",
            ["Whistle:Database:ConnectionString"] = a.Settings["Whistle:Database:ConnectionString"],
            // Both must sign pushes with one key pair: the subscriptions were made with it.
            ["Whistle:Push:VapidKeys"] = await File.ReadAllTextAsync(Path.Combine(a.DataDir, Whistle.Delivery.Push.VapidKeys.FileName)),
        });
        _ = b.Services;

        const int each = 60;
        var here = new Whistle.Geo.GeoPoint(46.7, -92.2);
        var browsers = Enumerable.Range(0, each).Select(_ => push.NewSubscription()).ToList();
        await using (var scope = a.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var ring = scope.ServiceProvider.GetRequiredService<KeyRing>();
            var now = DateTimeOffset.UtcNow;
            void Add(int i, SubscriberChannel channel, string address, string? secret)
            {
                var p = here.Offset(3 * i, 90);
                db.Subscribers.Add(new Subscriber
                {
                    Channel = channel, AddressCipher = ring.Encrypt(address, Purpose.SubscriberAddress),
                    SecretCipher = secret is null ? null : ring.Encrypt(secret, Purpose.SubscriberSecret),
                    AddressHash = ring.Hash(Addresses.LookupKey(channel, address)), Language = "en",
                    AreaCipher = new SealedCircle(p.Lat, p.Lon, 100).Seal(ring), State = SubscriberState.Confirmed, Drills = true,
                    CreatedAt = now, ConfirmedAt = now, ChangedAt = now,
                });
            }
            for (int i = 0; i < each; i++)
            {
                Add(i, SubscriberChannel.Sms, $"+1651555{i:D4}", null);
                Add(i, SubscriberChannel.Email, $"out{i}@example.org", null);
                Add(i, SubscriberChannel.Webpush, browsers[i].Endpoint,
                    System.Text.Json.JsonSerializer.Serialize(new PushKeys(browsers[i].P256dh, browsers[i].Auth)));
                Add(i, SubscriberChannel.Webhook, $"{hooks.BaseUrl}/hook/{i}", hooks.Secret);
            }
            await db.SaveChangesAsync();
        }

        var dispatcher = await a.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = here.Lat, lon = here.Lon, radiusMeters = 2000 } });
        var created = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(4 * each, created["recipients"]!.GetValue<int>());
        var alert = await WhistleApp.DeliveredAsync(dispatcher, Guid.Parse(created["id"]!.GetValue<string>()));
        Assert.Equal(4 * each, alert["deliveries"]!["sent"]!.GetValue<int>());
        Assert.All(new[] { "sms", "email", "webpush", "webhook" }, c => Assert.Equal(each, alert["progress"]!["channels"]![c]!["sent"]!.GetValue<int>()));

        static void Once(IEnumerable<string> got, int expected, string what)
        {
            var list = got.ToList();
            Assert.True(list.Count == expected && list.Distinct().Count() == expected, $"{what}: {list.Count} messages to {list.Distinct().Count()} recipients");
        }
        Once(twilio.Received.Select(m => m.To), each, "SMS");
        Once(smtp.Received.SelectMany(m => m.To), each, "e-mail");
        Once(push.Received.Select(p => p.SubscriptionId), each, "web push");
        Once(hooks.Received.Select(h => h.Path), each, "webhooks");
    }
}
