using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Fakes;

namespace Whistle.Tests.Api;

/// <summary>Subscriber-chosen URLs (webhooks, push endpoints) cannot make the server call its own network.</summary>
public sealed class PrivateNetworkTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("169.254.169.254", false)] // cloud metadata
    [InlineData("100.64.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", true)]
    public void Only_public_addresses_are_public(string address, bool expected) =>
        Assert.Equal(expected, SubscriberEndpoints.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_webhook_on_the_servers_own_network_is_refused_without_a_request_and_not_retried()
    {
        await using var hooks = await FakeWebhookReceiver.StartAsync();
        using var app = new CustomApp(new() { ["Whistle:Delivery:AllowPrivateNetworks"] = "false" });
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions",
            new { channel = "webhook", address = $"{hooks.BaseUrl}/hook", secret = hooks.Secret, language = "en", zones = new[] { 1 } });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);

        var message = await WhistleApp.EventuallyAsync(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<WhistleDb>().Messages.AsNoTracking().SingleAsync();
        }, m => m.State == DeliveryState.Dead, "the code's delivery to end");
        Assert.Equal("webhook address is on a private network", message.LastError);
        Assert.Equal(1, message.Attempts);
        Assert.Empty(hooks.Requests);
    }
}
