using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Whistle.Fakes;
using Whistle.Tests.Api;
using Xunit.Abstractions;

namespace Whistle.Tests.Topology;

/// <summary>
/// Issue 16 §1: the whole flow through the production topology (<see cref="TopologyCluster"/>: the published build as two
/// processes, one PostgreSQL, one Redis, Caddy in front). A report taken by one node reaches a console on the other; an
/// alert sent by two nodes keeps each sending number at its pace; a node killed mid-fan-out leaves nobody unmessaged.
/// In the timed collection: the pace is measured from the fake's clock, and the kill must land mid-way.
/// </summary>
[Collection(TimedCollection.Name)]
public sealed class TopologyTests(TopologyCluster cluster, ITestOutputHelper output) : IClassFixture<TopologyCluster>
{
    private static string Token(HttpClient staff) => staff.DefaultRequestHeaders.Authorization!.Parameter!;

    /// <summary>A console's live connection to /hubs/sightings as the browser makes it: negotiate, then a WebSocket.</summary>
    private static HubConnection Console(string baseUrl, string token, CookieContainer? cookies = null) => new HubConnectionBuilder()
        .WithUrl(new Uri(new Uri(baseUrl), "/hubs/sightings"), o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            if (cookies is not null) o.Cookies = cookies;
        }).Build();

    private static async Task<Guid> ReportAsync(string baseUrl, double lat)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
        var res = await client.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon = -93.2555, placeText = "Lake St" });
        Assert.True(res.StatusCode == HttpStatusCode.Created, $"report: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_report_posted_via_node_A_appears_live_on_consoles_connected_to_node_B_and_through_the_proxy()
    {
        using var admin = await cluster.AdminAsync();
        var onB = new ConcurrentQueue<Guid>();
        var viaProxy = new ConcurrentQueue<Guid>();
        await using var consoleB = Console(cluster.B.Url, Token(admin));
        // Through Caddy: negotiate and the WebSocket must reach one node (the hubs' sticky cookie), whichever it is.
        await using var consoleProxy = Console(cluster.ProxyUrl, Token(admin), new CookieContainer());
        consoleB.On<JsonObject>("sighting", x => onB.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        consoleProxy.On<JsonObject>("sighting", x => viaProxy.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        await consoleB.StartAsync();
        await consoleProxy.StartAsync();

        // Straight to node A, then twice through the proxy (round-robin: one lands on each node).
        var sightings = new List<Guid> { await ReportAsync(cluster.A.Url, 44.9101) };
        sightings.Add(await ReportAsync(cluster.ProxyUrl, 44.9402));
        sightings.Add(await ReportAsync(cluster.ProxyUrl, 44.9703));
        await WhistleApp.EventuallyAsync(() => Task.FromResult(sightings.Except(onB).Count()), n => n == 0,
            "every sighting to reach the console connected to node B", 15_000);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(sightings.Except(viaProxy).Count()), n => n == 0,
            "every sighting to reach the console connected through the proxy", 15_000);
        Assert.Equal(HubConnectionState.Connected, consoleProxy.State);
    }

    [Fact]
    public async Task An_alert_sent_via_node_B_and_relayed_by_both_keeps_each_sending_number_at_its_pace()
    {
        using var viaB = await cluster.AdminAsync(cluster.B.Url);
        using var proxy = await cluster.AdminAsync();
        int before = cluster.Twilio.Received.Count;
        var (alertId, recipients) = await SendDrillAsync(viaB, 30_000);
        var alert = await DoneAsync(proxy, alertId);
        int sms = alert["progress"]!["channels"]!["sms"]!["recipients"]!.GetValue<int>();
        Assert.Equal(recipients, alert["deliveries"]!["sent"]!.GetValue<int>());

        var got = cluster.Twilio.Received.Skip(before).ToList();
        Assert.Equal(sms, got.Select(m => m.To).Distinct().Count());
        // From the fake's own clock: in no one-second window did a number carry more than its pace, across both nodes —
        // in messages (the measure) and in segments (what carriers meter, and what Whistle paces: a message of
        // two segments takes two slots, so a window may hold one message's extra segments beyond the pace, no more).
        foreach (var sender in got.GroupBy(m => m.From))
        {
            var sent = sender.Select(m => (At: m.ReceivedAt, Segments: Whistle.Delivery.Sms.SmsSize.Of(m.Body).Segments)).OrderBy(m => m.At).ToList();
            int mostMessages = sent.Max(m => sent.Count(u => u.At >= m.At && u.At < m.At.AddSeconds(1)));
            int mostSegments = sent.Max(m => sent.Where(u => u.At >= m.At && u.At < m.At.AddSeconds(1)).Sum(u => u.Segments));
            int slack = sent.Max(m => m.Segments) - 1;
            output.WriteLine($"{sender.Key}: {sent.Count} messages ({sent.Sum(m => m.Segments)} segments) over {(sent[^1].At - sent[0].At).TotalSeconds:F1} s; " +
                             $"at most {mostMessages} messages and {mostSegments} segments in one second");
            Assert.True(mostMessages <= TopologyCluster.PerSecond,
                $"{sender.Key} carried {mostMessages} messages in one second; its pace is {TopologyCluster.PerSecond} a second");
            Assert.True(mostSegments <= TopologyCluster.PerSecond + slack,
                $"{sender.Key} carried {mostSegments} segments in one second; its pace is {TopologyCluster.PerSecond} a second (+{slack} for one long message)");
        }
        Assert.Equal(TopologyCluster.Senders.Split(',').Length, got.Select(m => m.From).Distinct().Count());
    }

    [Fact]
    public async Task A_node_killed_mid_fan_out_leaves_the_other_to_finish_and_nobody_is_missed()
    {
        using var proxy = await cluster.AdminAsync();
        int before = cluster.Twilio.Received.Count;
        var (alertId, recipients) = await SendDrillAsync(proxy, 31_000);
        List<FakeSms> Sms() => cluster.Twilio.Received.Skip(before).ToList();

        await WhistleApp.EventuallyAsync(() => Task.FromResult(Sms().Count), n => n >= 20, "the first SMS of the alert", 30_000);
        await cluster.KillAsync(cluster.A);
        int atKill = Sms().Count;
        output.WriteLine($"killed node a with {atKill} SMS handed over");
        try
        {
            var alert = await DoneAsync(proxy, alertId);
            int sms = alert["progress"]!["channels"]!["sms"]!["recipients"]!.GetValue<int>();
            Assert.True(atKill < sms, $"the kill came after the fan-out ({atKill} of {sms} SMS out)");
            Assert.Equal(recipients, alert["deliveries"]!["sent"]!.GetValue<int>());
            Assert.True(alert["progress"]!["done"]!.GetValue<bool>());

            // Nobody missed: every SMS number heard from the Twilio fake, every e-mail in a node's sink.
            var numbers = Sms().Select(m => m.To).ToList();
            var emails = cluster.SinkRecipients(alertId.ToString());
            Assert.Equal(sms, numbers.Distinct().Count());
            Assert.Equal(recipients - sms, emails.Distinct().Count());
            // CrashTests' rule: a kill may cut short the batch each lane (SMS, e-mail) had in flight; only those go again.
            int duplicates = numbers.Count - numbers.Distinct().Count() + emails.Count - emails.Distinct().Count();
            output.WriteLine($"{recipients} recipients, {numbers.Count} SMS, {emails.Count} e-mails, {duplicates} duplicates");
            Assert.True(duplicates <= 2 * TopologyCluster.BatchSize, $"{duplicates} duplicates after one kill with batches of {TopologyCluster.BatchSize} in 2 lanes");
        }
        finally
        {
            // The cluster is whole again for the other tests of the class.
            await cluster.StartAsync(cluster.A);
        }
    }

    /// <summary>A drill to every demo subscriber (the demo network lies within 30 km of Minneapolis).</summary>
    private static async Task<(Guid Id, int Recipients)> SendDrillAsync(HttpClient staff, int radius)
    {
        var res = await staff.PostAsJsonAsync("/api/v1/alerts", new
        {
            drill = true, circle = new { lat = 44.98, lon = -93.27, radiusMeters = radius }, audience = "public",
            audienceReason = "Topology test: a drill to every demo subscriber",
        });
        Assert.True(res.IsSuccessStatusCode, $"send: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
        var created = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        int recipients = created["recipients"]!.GetValue<int>();
        Assert.Equal(TopologyCluster.Subscribers, recipients);
        return (Guid.Parse(created["id"]!.GetValue<string>()), recipients);
    }

    private static Task<JsonObject> DoneAsync(HttpClient staff, Guid alertId) =>
        WhistleApp.EventuallyAsync(async () => (await staff.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!,
            a => a["progress"]?["done"]?.GetValue<bool>() == true, $"alert {alertId} to be done", 60_000);
}
