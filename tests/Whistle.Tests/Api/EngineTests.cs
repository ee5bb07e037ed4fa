using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Fakes;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>The delivery engine's order of work, against a paced SMS provider (a local fake Twilio).</summary>
[Collection(TimedCollection.Name)]
public sealed class EngineOrderTests
{
    private static CustomApp Start(FakeTwilio twilio, double perSecond, int batch)
    {
        int port = CustomApp.FreePort();
        return new CustomApp(new(twilio.Settings(perSecond: perSecond))
        {
            ["Whistle:Delivery:BatchSize"] = batch.ToString(),
            ["Whistle:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
        }, kestrelPort: port);
    }

    private static async Task<Guid> SendAsync(HttpClient dispatcher, double lat, double lon)
    {
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat, lon, radiusMeters = 100 } });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_small_alert_sent_during_a_big_one_is_not_held_back_until_the_big_one_is_done()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        using var app = Start(twilio, perSecond: 40, batch: 50);
        var big = (await Seed.SubscribersAsync(app, 240, 45.10, -94.10, first: 1000)).ToHashSet();
        var small = (await Seed.SubscribersAsync(app, 20, 45.50, -94.50, first: 5000)).ToHashSet();
        var dispatcher = await app.StaffAsync("dispatcher");

        var bigId = await SendAsync(dispatcher, 45.10, -94.10);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(twilio.Received.Count), n => n >= 1, "the big alert to start");
        var smallId = await SendAsync(dispatcher, 45.50, -94.50);
        await WhistleApp.DeliveredAsync(dispatcher, smallId);
        await WhistleApp.DeliveredAsync(dispatcher, bigId);

        var order = twilio.Received.OrderBy(m => m.ReceivedAt).Select(m => m.To).ToList();
        Assert.Equal(260, order.Count);
        int lastSmall = order.FindLastIndex(small.Contains);
        int bigAfter = order.Skip(lastSmall + 1).Count(big.Contains);
        // Taking turns, the small alert is through within a couple of batches; waiting its turn, it would come after all 240.
        Assert.True(bigAfter >= 100, $"only {bigAfter} of the big alert's messages came after the small alert finished");
    }

    [Fact]
    public async Task A_cancel_goes_out_ahead_of_an_alert_still_being_sent()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        using var app = Start(twilio, perSecond: 40, batch: 50);
        var earlier = (await Seed.SubscribersAsync(app, 10, 45.50, -94.50, first: 5000)).ToHashSet();
        var big = (await Seed.SubscribersAsync(app, 240, 45.10, -94.10, first: 1000)).ToHashSet();
        var dispatcher = await app.StaffAsync("dispatcher");

        var firstId = await SendAsync(dispatcher, 45.50, -94.50);
        await WhistleApp.DeliveredAsync(dispatcher, firstId);
        int before = twilio.Received.Count;
        var bigId = await SendAsync(dispatcher, 45.10, -94.10);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(twilio.Received.Count), n => n > before, "the big alert to start");
        var cancel = await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{firstId}/cancel", new { reason = "all_clear" });
        Assert.Equal(HttpStatusCode.Created, cancel.StatusCode);
        await WhistleApp.DeliveredAsync(dispatcher, bigId);
        var cancelId = Guid.Parse((await cancel.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, cancelId);

        var after = twilio.Received.OrderBy(m => m.ReceivedAt).Skip(before).ToList();
        Assert.Equal(250, after.Count);
        Assert.Equal(earlier.Order(), after.Where(m => earlier.Contains(m.To)).Select(m => m.To).Order()); // each once
        int lastCancel = after.FindLastIndex(m => earlier.Contains(m.To));
        int bigAfter = after.Skip(lastCancel + 1).Count(m => big.Contains(m.To));
        Assert.True(bigAfter >= 100, $"only {bigAfter} of the big alert's messages came after the cancel was out");
    }

    [Fact]
    public async Task A_provider_that_does_not_answer_is_given_up_on_and_the_message_retried()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        int port = CustomApp.FreePort();
        using var app = new CustomApp(new(twilio.Settings(perSecond: 50))
        {
            ["Whistle:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Whistle:Sms:Twilio:TimeoutSeconds"] = "1",
        }, kestrelPort: port);
        var who = await Seed.SubscribersAsync(app, 1, 45.3, -94.3);
        twilio.HangNext = 1;
        var dispatcher = await app.StaffAsync("dispatcher");
        var id = await SendAsync(dispatcher, 45.3, -94.3);
        var alert = await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal(1, alert["deliveries"]!["sent"]!.GetValue<int>());
        Assert.Equal([0, 201], twilio.Requests.Where(r => r.To == who[0]).OrderBy(r => r.At).Select(r => r.Status));
        Assert.Single(twilio.Received);
    }
}

/// <summary>What the dispatcher sees of a fan-out: the plan before sending, progress and lag after, live.</summary>
public sealed class ProgressTests
{
    [Fact]
    public async Task The_preview_estimates_each_channel_at_its_rate_and_a_channel_a_minute_behind_is_flagged()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new CustomApp(new()
        {
            ["Whistle:Delivery:Enabled"] = "false", // nothing leaves: the SMS lane falls ever further behind
            ["Whistle:PublicBaseUrl"] = "http://127.0.0.1:9",
            ["Whistle:Sms:Twilio:BaseUrl"] = "http://127.0.0.1:9",
            ["Whistle:Sms:Twilio:AccountSid"] = FakeTwilio.AccountSid,
            ["Whistle:Sms:Twilio:AuthToken"] = FakeTwilio.AuthToken,
            ["Whistle:Sms:Twilio:From"] = "+16125550100, +16125550101",
            ["Whistle:Sms:Twilio:MessagesPerSecond"] = "1",
            ["Whistle:Sms:CostPerSegment"] = "0.01",
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        await Seed.SubscribersAsync(app, 30, 45.2, -94.2);
        await Seed.SubscribersAsync(app, 5, 45.2, -94.2, SubscriberChannel.Email);
        var dispatcher = await app.StaffAsync("dispatcher");
        var body = new { drill = true, circle = new { lat = 45.2, lon = -94.2, radiusMeters = 100 } };

        var preview = (await (await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", body)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(35, preview["recipients"]!.GetValue<int>());
        var sms = preview["channels"]!["sms"]!;
        Assert.Equal(30, sms["recipients"]!.GetValue<int>());
        int segments = preview["sms"]!.AsObject().Max(l => l.Value!["segments"]!.GetValue<int>());
        // Two numbers at 1 a second each (less the 5 % headroom): 30 messages of `segments` segments.
        double expected = Math.Round(30 * segments / (2 / 1.05), 1);
        Assert.Equal(expected, sms["estimatedSeconds"]!.GetValue<double>(), 1);
        Assert.Equal(5, preview["channels"]!["email"]!["recipients"]!.GetValue<int>());
        Assert.Equal(30 * segments * 0.01m, preview["smsCostEstimate"]!.GetValue<decimal>());
        Assert.Equal(0, await CountAsync<Whistle.Alerts.Alert>(app)); // a preview stores nothing

        var created = await dispatcher.PostAsJsonAsync("/api/v1/alerts", body);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        async Task<JsonNode> Progress() => (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["progress"]!;

        var p = await Progress();
        Assert.Equal(expected, p["channels"]!["sms"]!["estimatedSeconds"]!.GetValue<double>(), 1);
        Assert.Equal(30, p["channels"]!["sms"]!["pending"]!.GetValue<int>());
        Assert.False(p["lagging"]!.GetValue<bool>());
        clock.Advance(TimeSpan.FromSeconds(expected + 59));
        Assert.False((await Progress())["channels"]!["sms"]!["lagging"]!.GetValue<bool>());
        clock.Advance(TimeSpan.FromSeconds(2));
        p = await Progress();
        Assert.True(p["channels"]!["sms"]!["lagging"]!.GetValue<bool>());
        Assert.True(p["lagging"]!.GetValue<bool>());
        Assert.Null(p["firstThousandAt"]);
    }

    private static async Task<int> CountAsync<T>(WhistleApp app) where T : class
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<WhistleDb>().Set<T>().CountAsync();
    }

    [Fact]
    public async Task Progress_reports_when_the_nearest_thousand_were_handed_over_and_is_pushed_live_to_watchers()
    {
        using var app = new CustomApp([]);
        await Seed.SubscribersAsync(app, 1_200, 45.6, -94.6, SubscriberChannel.Email);
        var dispatcher = await app.StaffAsync("dispatcher");
        var token = dispatcher.DefaultRequestHeaders.Authorization!.Parameter!;
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, "hubs/alerts"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            }).Build();
        var updates = new System.Collections.Concurrent.ConcurrentQueue<JsonObject>();
        hub.On<JsonObject>("progress", updates.Enqueue);
        await hub.StartAsync();

        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 45.6, lon = -94.6, radiusMeters = 100 } });
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await hub.InvokeAsync("Watch", id);
        var last = await WhistleApp.EventuallyAsync(() => Task.FromResult(updates.LastOrDefault()),
            u => u?["done"]?.GetValue<bool>() == true, "a live update saying the fan-out is done");
        Assert.Equal(id.ToString(), last!["alertId"]!.GetValue<string>());
        Assert.True(1_200 == last["deliveries"]!["sent"]!.GetValue<int>(), last.ToJsonString());

        var alert = await WhistleApp.DeliveredAsync(dispatcher, id);
        var firstThousand = alert["progress"]!["firstThousandAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange(firstThousand, alert["sentAt"]!.GetValue<DateTimeOffset>(), DateTimeOffset.UtcNow);
        // The nearest 1,000 (the fan-out's order) had all been handed over by then; the farthest 200 not all before.
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var seq = await db.Alerts.Where(a => a.Id == id).Select(a => a.Seq).SingleAsync();
        var order = DeliveryStore.Order(await db.FanoutOrders.Where(f => f.AlertId == id).Select(f => f.Recipients).SingleAsync());
        var sentAt = await db.Deliveries.Where(d => d.AlertSeq == seq).ToDictionaryAsync(d => d.SubscriberId, d => d.SentAt!.Value);
        Assert.All(order.Take(1000), s => Assert.True(sentAt[s] <= firstThousand));
        Assert.Equal(firstThousand, order.Take(1000).Max(s => sentAt[s]));
    }

    [Fact]
    public async Task The_live_progress_hub_turns_away_anyone_without_a_dispatchers_token()
    {
        using var app = new CustomApp([]);
        var verifier = await app.StaffAsync("verifier");
        foreach (var token in new[] { null, verifier.DefaultRequestHeaders.Authorization!.Parameter })
        {
            await using var hub = new HubConnectionBuilder()
                .WithUrl(new Uri(app.Server.BaseAddress, "hubs/alerts"), o =>
                {
                    o.Transports = HttpTransportType.LongPolling;
                    o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                    o.AccessTokenProvider = () => Task.FromResult(token);
                }).Build();
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
            Assert.Equal(token is null ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden, error.StatusCode);
        }
    }
}
