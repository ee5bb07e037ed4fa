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
    // Issue 11 §8: IPv6 forms that carry a private IPv4 address, and the ranges between.
    [InlineData("::10.0.0.1", false)]                  // IPv4-compatible
    [InlineData("::127.0.0.1", false)]
    [InlineData("::ffff:0:10.0.0.1", false)]           // SIIT
    [InlineData("64:ff9b::a00:1", false)]              // NAT64 of 10.0.0.1
    [InlineData("64:ff9b::7f00:1", false)]             // NAT64 of 127.0.0.1
    [InlineData("64:ff9b::a9fe:a9fe", false)]          // NAT64 of 169.254.169.254
    [InlineData("64:ff9b:1::a00:1", false)]            // local-use NAT64
    [InlineData("2002:0a00:0001::", false)]            // 6to4 of 10.0.0.1
    [InlineData("2002:7f00:1::1", false)]              // 6to4 of 127.0.0.1
    [InlineData("2002:c0a8:0101::1", false)]           // 6to4 of 192.168.1.1
    [InlineData("2001:0:4136:e378:8000:63bf:f5ff:fffe", false)] // Teredo, client 10.0.0.1 (obfuscated)
    [InlineData("2001:0:0a00:1:8000:63bf:a3b9:8ff5", false)]    // Teredo, server 10.0.0.1
    [InlineData("fe80::", false)]
    [InlineData("fe80::1%2", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fec0::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("::", false)]
    [InlineData("100::1", false)]                      // discard
    [InlineData("0.0.0.0", false)]
    [InlineData("0.1.2.3", false)]
    [InlineData("100.127.255.254", false)]
    [InlineData("169.254.0.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("198.19.255.255", false)]
    [InlineData("192.0.0.170", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("239.255.255.250", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("240.0.0.1", false)]
    [InlineData("172.15.255.255", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("100.128.0.1", true)]
    [InlineData("198.20.0.1", true)]
    [InlineData("::ffff:93.184.216.34", true)]
    [InlineData("64:ff9b::5db8:d822", true)]           // NAT64 of 93.184.216.34
    [InlineData("2002:5db8:d822::1", true)]            // 6to4 of 93.184.216.34
    [InlineData("2001:0:5db8:d822:8000:63bf:a247:27dd", true)] // Teredo, server and client public
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", true)]
    public void Only_public_addresses_are_public(string address, bool expected) =>
        Assert.Equal(expected, SubscriberEndpoints.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void The_machines_own_interface_addresses_are_not_public()
    {
        var own = new HashSet<IPAddress> { IPAddress.Parse("93.184.216.34"), IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946") };
        Assert.False(SubscriberEndpoints.IsPublic(IPAddress.Parse("93.184.216.34"), own));
        Assert.False(SubscriberEndpoints.IsPublic(IPAddress.Parse("::ffff:93.184.216.34"), own));
        Assert.False(SubscriberEndpoints.IsPublic(IPAddress.Parse("64:ff9b::5db8:d822"), own));
        Assert.False(SubscriberEndpoints.IsPublic(IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946"), own));
        Assert.True(SubscriberEndpoints.IsPublic(IPAddress.Parse("93.184.216.35"), own));
        // And the real machine: every address of every interface it has (a public one included, on a server with one).
        var mine = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address).ToList();
        Assert.NotEmpty(mine);
        Assert.All(mine, a => Assert.False(SubscriberEndpoints.IsPublic(a), $"{a} is this machine's own"));
    }

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
