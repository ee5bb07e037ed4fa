using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
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
                    CircleLat = p.Lat, CircleLon = p.Lon, CircleRadiusMeters = 100, State = SubscriberState.Confirmed,
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
}
