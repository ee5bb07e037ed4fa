using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Fakes;

namespace Whistle.Tests.Api;

/// <summary>A Whistle that refuses private networks, as in production (the other test apps allow them for the local fakes).</summary>
public sealed class NoPrivateNetworksApp() : WhistleApp(Db.Sqlite, new() { ["Whistle:Delivery:AllowPrivateNetworks"] = "false" });

/// <summary>
/// Issue 11 §8, the attack: a subscriber registers a webhook or push endpoint whose address is the server's own network
/// written in an IPv6 form that carries it (NAT64, 6to4, IPv4-compatible, mapped) — the earlier rule let those through to a
/// connection attempt. Now the delivery is refused at once (dead after one attempt, "on a private network"), and no
/// request reaches the receiver listening on 127.0.0.1.
/// </summary>
public sealed class SsrfTests(NoPrivateNetworksApp app) : IClassFixture<NoPrivateNetworksApp>
{
    public static TheoryData<string> Inward => new()
    {
        "[64:ff9b::7f00:1]",     // NAT64 of 127.0.0.1
        "[2002:7f00:1::1]",      // 6to4 of 127.0.0.1
        "[::127.0.0.1]",         // IPv4-compatible
        "[::ffff:127.0.0.1]",    // IPv4-mapped
        "[::ffff:0:127.0.0.1]",  // SIIT
        "[64:ff9b::a9fe:a9fe]",  // NAT64 of the cloud metadata address
        "0.0.0.0",
        "198.18.0.1",
    };

    private async Task<DirectMessage> DeadAsync(long subscriber) => await WhistleApp.EventuallyAsync(async () =>
    {
        await using var scope = app.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<WhistleDb>().Messages.AsNoTracking().SingleOrDefaultAsync(m => m.SubscriberId == subscriber))!;
    }, m => m is { State: DeliveryState.Dead }, $"subscriber {subscriber}'s code to be refused");

    [Theory]
    [MemberData(nameof(Inward))]
    public async Task A_webhook_on_an_inward_address_in_any_form_is_refused_without_a_connection(string host)
    {
        await using var hooks = await FakeWebhookReceiver.StartAsync();
        var port = new Uri(hooks.BaseUrl).Port;
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions",
            new { channel = "webhook", address = $"https://{host}:{port}/hook", secret = hooks.Secret, language = "en", zones = new[] { 1 } });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var id = await app.SubscriberIdAsync("webhook", $"https://{host}:{port}/hook");

        var message = await DeadAsync(id);
        Assert.Equal("webhook address is on a private network", message.LastError);
        Assert.Equal(1, message.Attempts);
        Assert.Empty(hooks.Requests);
    }

    [Theory]
    [InlineData("[64:ff9b::7f00:1]")]
    [InlineData("[2002:7f00:1::1]")]
    [InlineData("[::127.0.0.1]")]
    public async Task A_push_endpoint_on_an_inward_address_is_refused_without_a_connection(string host)
    {
        await using var push = await FakePushService.StartAsync();
        var sub = push.NewSubscription();
        var endpoint = new UriBuilder(sub.Endpoint) { Scheme = "https", Host = host }.Uri.AbsoluteUri;
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions", new
        {
            channel = "webpush", address = endpoint, language = "en", zones = new[] { 1 }, keys = new { p256dh = sub.P256dh, auth = sub.Auth },
        });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var id = await app.SubscriberIdAsync("webpush", endpoint);

        var message = await DeadAsync(id);
        Assert.Equal("push endpoint is on a private network", message.LastError);
        Assert.Equal(1, message.Attempts);
        Assert.Empty(push.Requests);
    }
}
