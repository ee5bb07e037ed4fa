using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>
/// An alert's commit is independent of its size (issue 16 §3, decision 0050): sending writes the alert and its
/// nearest-first order only; a lane creates the delivery rows of each slice as it claims it, leased, each once.
/// The relay is off in these apps (Whistle:Delivery:Enabled=false): the tests claim as a relay would.
/// </summary>
public sealed class FanoutCommitTests
{
    private const double Lat = 46.5, Lon = -92.1;

    private static (CustomApp App, FakeTimeProvider Clock) NewApp(Db provider)
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = new CustomApp(new() { ["Whistle:Delivery:Enabled"] = "false" }, s => s.AddSingleton<TimeProvider>(fake), provider);
        return (app, fake);
    }

    private static async Task<Guid> SendAsync(HttpClient dispatcher)
    {
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = Lat, lon = Lon, radiusMeters = 1000 } });
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    private static async Task<T> InDbAsync<T>(WhistleApp app, Func<WhistleDb, Task<T>> work)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<WhistleDb>());
    }

    private static Task<long> SeqAsync(WhistleApp app, Guid alert) =>
        InDbAsync(app, db => db.Alerts.Where(a => a.Id == alert).Select(a => a.Seq).SingleAsync());

    private static Task<List<long>> RowsAsync(WhistleApp app, long seq) =>
        InDbAsync(app, db => db.Deliveries.Where(d => d.AlertSeq == seq).Select(d => d.SubscriberId).ToListAsync());

    private static Task<List<Work>> ClaimAsync(WhistleApp app, FakeTimeProvider clock, int max) =>
        InDbAsync(app, db => DeliveryStore.ClaimAsync(db, SubscriberChannel.Sms, max, clock.GetUtcNow(), TimeSpan.FromSeconds(60), default));

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task A_sent_alert_is_committed_with_its_order_and_no_delivery_rows_and_progress_counts_everyone_pending(Db provider)
    {
        var (app, clock) = NewApp(provider);
        using var _ = app;
        await Seed.SubscribersAsync(app, 40, Lat, Lon, first: 2000);
        var dispatcher = await app.StaffAsync("dispatcher");
        var id = await SendAsync(dispatcher);

        var seq = await SeqAsync(app, id);
        Assert.Empty(await RowsAsync(app, seq));
        var fanout = await InDbAsync(app, db => db.Fanouts.AsNoTracking().SingleAsync(f => f.AlertId == id));
        Assert.Equal((SubscriberChannel.Sms, 40, 0), (fanout.Channel, fanout.Total, fanout.Cursor));
        var order = await InDbAsync(app, db => db.FanoutOrders.Where(f => f.AlertId == id).Select(f => f.Recipients).SingleAsync());
        Assert.Equal(40, DeliveryStore.Order(order).Distinct().Count());

        var alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!;
        Assert.Equal(40, alert["recipients"]!.GetValue<int>());
        Assert.Equal(40, alert["deliveries"]!["pending"]!.GetValue<int>());
        var sms = alert["progress"]!["channels"]!["sms"]!;
        Assert.Equal((40, 40, 0), (sms["recipients"]!.GetValue<int>(), sms["pending"]!.GetValue<int>(), sms["sent"]!.GetValue<int>()));
        Assert.False(alert["progress"]!["done"]!.GetValue<bool>());

        // A lane's claim creates the slice's rows, nearest first, already leased; progress still counts the rest pending.
        var taken = await ClaimAsync(app, clock, 15);
        Assert.Equal(DeliveryStore.Order(order)[..15], taken.Select(w => w.SubscriberId));
        var rows = await InDbAsync(app, db => db.Deliveries.AsNoTracking().Where(d => d.AlertSeq == seq).ToListAsync());
        Assert.Equal(15, rows.Count);
        Assert.All(rows, r => Assert.True(r.State == DeliveryState.Pending && r.LeaseUntil > clock.GetUtcNow() && r.Priority == Delivery.Delivery.PriorityAlert));
        alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!;
        Assert.Equal(40, alert["deliveries"]!["pending"]!.GetValue<int>());
        Assert.Equal(40, alert["progress"]!["channels"]!["sms"]!["recipients"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task Relays_claiming_one_fan_out_at_once_or_repeating_a_slice_create_and_take_each_recipient_once(Db provider)
    {
        var (app, clock) = NewApp(provider);
        using var _ = app;
        const int n = 300;
        await Seed.SubscribersAsync(app, n, Lat, Lon, first: 3000);
        var dispatcher = await app.StaffAsync("dispatcher");
        var id = await SendAsync(dispatcher);
        var seq = await SeqAsync(app, id);

        // Four relays race, each claiming small batches until the fan-out is through.
        var taken = new System.Collections.Concurrent.ConcurrentBag<long>();
        async Task Relay()
        {
            for (int round = 0; round < 200; round++)
            {
                List<Work> batch;
                try { batch = await ClaimAsync(app, clock, 7); }
                catch (Exception e) when (IsBusy(e)) { continue; } // SQLite: one writer; a relay that lost the race tries again
                if (batch.Count == 0 && await InDbAsync(app, db => db.Fanouts.AnyAsync(f => f.AlertId == id && f.Cursor < f.Total)) is false) return;
                foreach (var w in batch) taken.Add(w.SubscriberId);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Relay)));
        Assert.Equal(n, taken.Count);
        Assert.Equal(n, taken.Distinct().Count());
        var rows = await RowsAsync(app, seq);
        Assert.Equal(n, rows.Count);
        Assert.Equal(taken.Order(), rows.Order());

        // A slice repeated (the cursor set back, as a crash between two writes of a slice could leave it): no row is
        // created twice and nobody already taken is handed out again.
        await InDbAsync(app, db => db.Fanouts.Where(f => f.AlertId == id).ExecuteUpdateAsync(u => u.SetProperty(f => f.Cursor, 0)));
        Assert.Empty(await ClaimAsync(app, clock, 50));
        Assert.Equal(n, (await RowsAsync(app, seq)).Count);
    }

    private static bool IsBusy(Exception e) =>
        e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 } || e.InnerException is { } inner && IsBusy(inner);

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task A_cancel_mid_fan_out_reaches_exactly_those_claimed_and_no_row_is_ever_created_for_the_rest(Db provider)
    {
        var (app, clock) = NewApp(provider);
        using var _ = app;
        var phones = await Seed.SubscribersAsync(app, 30, Lat, Lon, first: 4000);
        var dispatcher = await app.StaffAsync("dispatcher");
        var id = await SendAsync(dispatcher);
        var seq = await SeqAsync(app, id);

        // A lane sends the nearest 6 and has the next 4 in flight when the dispatcher cancels.
        var relay = app.Services.GetRequiredService<DeliveryRelay>();
        var inFlight = await ClaimAsync(app, clock, 6);
        Assert.Equal(6, inFlight.Count);
        await InDbAsync(app, db => db.Deliveries.Where(d => d.AlertSeq == seq)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.State, DeliveryState.Sent).SetProperty(d => d.SentAt, clock.GetUtcNow()).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null)));
        var leased = await ClaimAsync(app, clock, 4);
        var reached = inFlight.Concat(leased).Select(w => w.SubscriberId).ToHashSet();
        Assert.Equal(10, reached.Count);

        var res = await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/cancel", new { reason = "all_clear" });
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
        var cancelId = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());

        // The cancel's order is exactly those reached or in flight; the original's cursor is at its end.
        var cancelOrder = await InDbAsync(app, db => db.FanoutOrders.Where(f => f.AlertId == cancelId).Select(f => f.Recipients).SingleAsync());
        Assert.Equal(reached.Order(), DeliveryStore.Order(cancelOrder).Order());
        var original = await InDbAsync(app, db => db.Fanouts.AsNoTracking().SingleAsync(f => f.AlertId == id));
        Assert.Equal(original.Total, original.Cursor);

        // Relays run (the in-flight lease runs out too): the cancel goes to the 10, and the original never grows a row.
        clock.Advance(TimeSpan.FromSeconds(61));
        for (int i = 0; i < 5; i++) await relay.RunOnceAsync(default);
        Assert.Equal(reached.Order(), (await RowsAsync(app, seq)).Order());
        var cancelSeq = await SeqAsync(app, cancelId);
        Assert.Equal(reached.Order(), (await RowsAsync(app, cancelSeq)).Order());
        var cancelledTo = app.Outbox().Where(l => l.AlertId == cancelId).Select(l => l.Recipient).ToList();
        Assert.Equal(10, cancelledTo.Count);
        Assert.Equal(10, cancelledTo.Distinct().Count());
        Assert.DoesNotContain(app.Outbox(), l => l.AlertId == id); // nothing of the original went out after the cancel

        // Progress: the original is done — 6 sent, the rest will never go out — and its total is still 30.
        var alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!;
        var sms = alert["progress"]!["channels"]!["sms"]!;
        Assert.Equal((30, 0, 6, 24), (sms["recipients"]!.GetValue<int>(), sms["pending"]!.GetValue<int>(), sms["sent"]!.GetValue<int>(), sms["dead"]!.GetValue<int>()));
        Assert.True(alert["progress"]!["done"]!.GetValue<bool>());
        Assert.All(cancelledTo, p => Assert.Contains(p, phones));
    }
}
