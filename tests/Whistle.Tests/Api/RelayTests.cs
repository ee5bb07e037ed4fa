using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Data;
using Whistle.Delivery;

namespace Whistle.Tests.Api;

/// <summary>The outbox relay resends what a dead relay had taken but not sent, once its lease runs out.</summary>
public sealed class RelayTests
{
    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task Deliveries_leased_by_a_relay_that_died_are_sent_once_the_lease_runs_out_and_only_once(Db provider)
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new CustomApp(new() { ["Whistle:Delivery:Enabled"] = "false" }, s => s.AddSingleton<TimeProvider>(fake), provider);
        var relay = app.Services.GetRequiredService<DeliveryRelay>();
        var client = app.CreateClient();
        var here = new Whistle.Geo.GeoPoint(46.2, -92.5);
        string[] who = ["r1@example.org", "r2@example.org", "r3@example.org"];
        for (int i = 0; i < who.Length; i++)
        {
            var sub = app.SubscribeAsync(client, "email", who[i], "en", circle: new { lat = here.Lat, lon = here.Lon + i * 0.001, radiusMeters = 100 });
            while (!sub.IsCompleted) { await relay.RunOnceAsync(default); await Task.WhenAny(sub, Task.Delay(20)); }
            await sub;
        }

        var dispatcher = await app.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = here.Lat, lon = here.Lon, radiusMeters = 1000 } });
        var alertId = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());

        // A relay takes the two nearest and dies before sending them.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var taken = await DeliveryStore.ClaimAsync(db, Whistle.Subscriptions.SubscriberChannel.Email, 2, fake.GetUtcNow(), TimeSpan.FromSeconds(60), default);
            Assert.Equal(2, taken.Count);
        }
        // Another relay sends the rest, but not what is under lease.
        await relay.RunOnceAsync(default);
        Assert.Equal(["r3@example.org"], app.Outbox().Where(l => l.AlertId == alertId).Select(l => l.Recipient));

        fake.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await relay.RunOnceAsync(default));
        fake.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, await relay.RunOnceAsync(default));
        Assert.Equal(0, await relay.RunOnceAsync(default));

        Assert.Equal(who, app.Outbox().Where(l => l.AlertId == alertId).Select(l => l.Recipient).Order());
        var alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!;
        Assert.Equal(3, alert["deliveries"]!["sent"]!.GetValue<int>());
    }
}
