using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Identity;
using Whistle.Privacy;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Two nodes — two whole Whistles over one PostgreSQL database — as a load balancer would show them to people:
/// A serves the API only (Whistle:Delivery:Enabled=false), B also relays (its lanes poll only every 30 s, so only a
/// poke through the bus wakes them in time); both sweep live connections only every 60 s, so only the bus closes them
/// in time. With Redis (one prefix) they are one cluster; without, each is on its own (the contrast that shows these
/// tests can fail).
/// </summary>
public abstract class TwoNodes : IDisposable
{
    public CustomApp A { get; }
    public CustomApp B { get; }

    protected TwoNodes(bool redis)
    {
        var shared = new Dictionary<string, string?>
        {
            ["Whistle:Encryption:Keys"] = KeyRing.CreateNew().ToJson(),
            ["Whistle:Accounts:LiveRecheckSeconds"] = "60",
        };
        if (redis) foreach (var (k, v) in TestRedis.Settings()) shared[k] = v;
        A = new CustomApp(new(shared) { ["Whistle:Delivery:Enabled"] = "false" }, db: Db.Postgres);
        _ = A.Services;
        B = new CustomApp(new(shared)
        {
            ["Whistle:Database:Provider"] = "postgres",
            ["Whistle:Database:ConnectionString"] = A.Settings["Whistle:Database:ConnectionString"],
            ["Whistle:Delivery:PollMilliseconds"] = "30000",
        });
        _ = B.Services;
    }

    public void Dispose()
    {
        B.Dispose();
        A.Dispose(); // drops the database
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// One cluster on the test Redis. WHISTLE_TEST_BUS_OFF=1 leaves Redis out, to watch <see cref="LiveBusClusterTests"/>
/// fail as they did before the bus (each node hearing only itself).
/// </summary>
public sealed class TwoNodesOnRedis() : TwoNodes(redis: Environment.GetEnvironmentVariable("WHISTLE_TEST_BUS_OFF") is null);
public sealed class TwoNodesWithoutRedis() : TwoNodes(redis: false);

/// <summary>What a node can hear of another: a hub connection, the public stream.</summary>
public static class Listen
{
    /// <summary>A real WebSocket to the node's hub (as a browser opens it), the token in access_token.</summary>
    public static HubConnection Hub(WhistleApp node, HttpClient staff, string path) => new HubConnectionBuilder()
        .WithUrl(new Uri(node.Server.BaseAddress, path), o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
            o.WebSocketFactory = async (ctx, ct) =>
            {
                var token = staff.DefaultRequestHeaders.Authorization!.Parameter!;
                var uri = new UriBuilder(ctx.Uri) { Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
                return await node.Server.CreateWebSocketClient().ConnectAsync(uri, ct);
            };
        }).Build();

    /// <summary>Reads the node's public SSE stream in the background; every "data:" line, in order.</summary>
    public static async Task<(ConcurrentQueue<string> Events, Task Reading)> StreamAsync(WhistleApp node, CancellationToken ct)
    {
        var client = node.CreateClient();
        var res = await client.GetAsync("/api/v1/alerts/stream", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var events = new ConcurrentQueue<string>();
        var reading = Task.Run(async () =>
        {
            try
            {
                using var reader = new StreamReader(await res.Content.ReadAsStreamAsync(ct));
                while (await reader.ReadLineAsync(ct) is { } line)
                    if (line.StartsWith("data:", StringComparison.Ordinal)) events.Enqueue(line[5..]);
            }
            catch (OperationCanceledException) { }
            catch (IOException) { }
        }, ct);
        return (events, reading);
    }

    public static async Task<Guid> ReportAsync(WhistleApp node, double lat, double lon)
    {
        var res = await node.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon, agents = 2, agency = "ice", placeText = "Lake St" });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>());
    }

    /// <summary>A sighting reported, sent to a verifier and confirmed, all on one node.</summary>
    public static async Task<Guid> ConfirmedAsync(WhistleApp node, HttpClient dispatcher, double lat, double lon)
    {
        var verifier = await node.StaffAsync(Roles.Verifier);
        var sighting = await ReportAsync(node, lat, lon);
        await WhistleApp.SendAsync(dispatcher, verifier, sighting.ToString());
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        return sighting;
    }
}

/// <summary>
/// Issue 16 §1 (live updates across nodes): with Redis, what one node does reaches the people connected to another —
/// the sightings queue, alert progress, the public stream — and the caches another node's change makes stale follow.
/// </summary>
public sealed class LiveBusClusterTests(TwoNodesOnRedis nodes) : IClassFixture<TwoNodesOnRedis>
{
    private CustomApp A => nodes.A;
    private CustomApp B => nodes.B;

    [Fact]
    public async Task A_report_posted_to_node_A_reaches_a_dispatchers_sightings_connection_on_node_B()
    {
        var dispatcher = await B.StaffAsync(Roles.Dispatcher);
        var heard = new ConcurrentQueue<Guid>();
        await using var hub = Listen.Hub(B, dispatcher, "hubs/sightings");
        hub.On<JsonObject>("sighting", x => heard.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        await hub.StartAsync();

        var sighting = await Listen.ReportAsync(A, 44.71, -93.21);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heard.Contains(sighting)), x => x, "node B's console to hear a report made on node A", 5_000);
    }

    [Fact]
    public async Task Alert_progress_is_watched_on_node_B_while_node_A_sends()
    {
        await Seed.SubscribersAsync(A, 40, 44.72, -93.22, Whistle.Subscriptions.SubscriberChannel.Email, first: 7200);
        var onA = await A.StaffAsync(Roles.Dispatcher);
        var onB = await B.StaffAsync(Roles.Dispatcher);
        var updates = new ConcurrentQueue<JsonObject>();
        await using var hub = Listen.Hub(B, onB, "hubs/alerts");
        hub.On<JsonObject>("progress", updates.Enqueue);
        await hub.StartAsync();

        var res = await onA.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 44.72, lon = -93.22, radiusMeters = 300 } });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await hub.InvokeAsync("Watch", id);
        // Node A does not relay; node B's lanes (polling every 30 s) are woken by A's poke through the bus.
        var last = await WhistleApp.EventuallyAsync(() => Task.FromResult(updates.LastOrDefault()),
            u => u?["done"]?.GetValue<bool>() == true, "node B's console to see node A's alert finish", 10_000);
        Assert.Equal(id.ToString(), last!["alertId"]!.GetValue<string>());
        Assert.Equal(40, last["deliveries"]!["sent"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_public_stream_on_node_B_shows_an_alert_sent_on_node_A_and_one_approved_on_node_A_at_once()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (events, reading) = await Listen.StreamAsync(B, stop.Token);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(events.Count), n => n > 0, "the stream's first snapshot", 5_000);

        var author = await A.StaffAsync(Roles.Dispatcher);
        var sighting = await Listen.ConfirmedAsync(A, author, 44.73, -93.23);
        var sent = await author.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = new { lat = 44.73, lon = -93.23, radiusMeters = 500 } });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var id = (await sent.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        await WhistleApp.EventuallyAsync(() => Task.FromResult(events.Any(e => e.Contains(id))), x => x, "node B's stream to show node A's alert", 2_000);

        // An alert that waited for a second dispatcher is approved on A: approval takes no new alert number, so a feed
        // that watched only the numbers never showed it; the bus says so.
        var admin = await A.StaffAsync(Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/admin/two-person", new { enabled = true, above = 0 })).StatusCode);
        try
        {
            await Seed.SubscribersAsync(A, 2, 44.74, -93.24, Whistle.Subscriptions.SubscriberChannel.Email, first: 7300);
            var other = Listen.ConfirmedAsync(A, author, 44.74, -93.24);
            var pending = await author.PostAsJsonAsync("/api/v1/alerts", new { sightingId = await other, circle = new { lat = 44.74, lon = -93.24, radiusMeters = 500 } });
            Assert.Equal(HttpStatusCode.Accepted, pending.StatusCode);
            var pendingId = (await pending.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
            // Not public while it waits (the feed has had a second to look).
            await Task.Delay(1_500);
            Assert.DoesNotContain(events, e => e.Contains(pendingId));
            var second = await A.StaffAsync(Roles.Dispatcher);
            Assert.Equal(HttpStatusCode.Created, (await second.PostAsJsonAsync($"/api/v1/alerts/{pendingId}/approve", new { })).StatusCode);
            await WhistleApp.EventuallyAsync(() => Task.FromResult(events.Any(e => e.Contains(pendingId))), x => x,
                "node B's stream to show the alert approved on node A", 3_000);
        }
        finally
        {
            await admin.PutAsJsonAsync("/api/v1/admin/two-person", new { enabled = false });
        }
        stop.Cancel();
        await reading;
    }

    [Fact]
    public async Task Zones_imported_on_node_A_target_right_on_node_B_at_once()
    {
        var admin = await A.StaffAsync(Roles.Admin);
        var square = """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Bus Hollow"},"geometry":{"type":"Polygon","coordinates":[[[-93.60,44.40],[-93.58,44.40],[-93.58,44.42],[-93.60,44.42],[-93.60,44.40]]]}}]}""";
        var res = await admin.PostAsync("/api/v1/zones/import", new StringContent(square, System.Text.Encoding.UTF8, "application/geo+json"));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var zones = (await A.CreateClient().GetFromJsonAsync<JsonObject>("/api/v1/zones"))!["features"]!.AsArray();
        var zoneId = zones.Single(z => z!["properties"]!["name"]!.GetValue<string>() == "Bus Hollow")!["properties"]!["id"]!.GetValue<int>();

        // Node B (whose own check runs once a minute) knows the zone within seconds, and targets it as node A does.
        await WhistleApp.EventuallyAsync(async () => await B.CreateClient().GetStringAsync("/api/v1/zones"), s => s.Contains("Bus Hollow"),
            "node B to list the zone imported on node A", 5_000);
        await Seed.SubscribersAsync(A, 3, 44.41, -93.59, Whistle.Subscriptions.SubscriberChannel.Email, first: 7400);
        var onA = await A.StaffAsync(Roles.Dispatcher);
        var onB = await B.StaffAsync(Roles.Dispatcher);
        var body = new { drill = true, zones = new[] { zoneId } };
        var previewA = await onA.PostAsJsonAsync("/api/v1/alerts/preview", body);
        var previewB = await onB.PostAsJsonAsync("/api/v1/alerts/preview", body);
        Assert.Equal(HttpStatusCode.OK, previewA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, previewB.StatusCode);
        var a = (await previewA.Content.ReadFromJsonAsync<JsonObject>())!["recipients"]!.ToJsonString();
        var b = (await previewB.Content.ReadFromJsonAsync<JsonObject>())!["recipients"]!.ToJsonString();
        Assert.Equal(a, b);
        Assert.Equal("3", a);
    }

    [Fact]
    public async Task A_staff_member_disabled_on_node_A_loses_a_live_connection_on_node_B_within_seconds()
    {
        var admin = await A.StaffAsync(Roles.Admin);
        var dispatcher = await B.StaffAsync(Roles.Dispatcher);
        var id = await WhistleApp.IdAsync(dispatcher);
        await using var hub = Listen.Hub(B, dispatcher, "hubs/sightings");
        await hub.StartAsync();
        Assert.Equal(HubConnectionState.Connected, hub.State);

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { disabled = true })).StatusCode);
        // Node B's own sweep runs once a minute here: only the bus closes it this soon.
        await WhistleApp.EventuallyAsync(() => Task.FromResult(hub.State), s => s == HubConnectionState.Disconnected,
            "node B to close the disabled dispatcher's connection", 5_000);
    }
}

/// <summary>The same two nodes without Redis: each hears only itself (what every test above would see without the bus).</summary>
public sealed class LiveBusWithoutRedisTests(TwoNodesWithoutRedis nodes) : IClassFixture<TwoNodesWithoutRedis>
{
    [Fact]
    public async Task Without_Redis_a_report_posted_to_node_A_does_not_reach_node_B_but_node_A_hears_itself()
    {
        var onA = await nodes.A.StaffAsync(Roles.Dispatcher);
        var onB = await nodes.B.StaffAsync(Roles.Dispatcher);
        var (heardA, heardB) = (new ConcurrentQueue<Guid>(), new ConcurrentQueue<Guid>());
        await using var hubA = Listen.Hub(nodes.A, onA, "hubs/sightings");
        await using var hubB = Listen.Hub(nodes.B, onB, "hubs/sightings");
        hubA.On<JsonObject>("sighting", x => heardA.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        hubB.On<JsonObject>("sighting", x => heardB.Enqueue(Guid.Parse(x["id"]!.GetValue<string>())));
        await hubA.StartAsync();
        await hubB.StartAsync();

        var sighting = await Listen.ReportAsync(nodes.A, 44.75, -93.25);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heardA.Contains(sighting)), x => x, "node A's own console to hear it", 5_000);
        await Task.Delay(2_000); // what the clustered test allows, and more
        Assert.DoesNotContain(sighting, heardB);
    }
}
