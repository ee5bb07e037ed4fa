using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Whistle.Tests.Fakes;

namespace Whistle.Tests.Api;

/// <summary>SMS through a Twilio-speaking provider over real HTTP both ways, with signed status callbacks.</summary>
public sealed class SmsTests
{
    [Fact]
    public async Task Codes_and_alerts_go_out_through_Twilio_and_only_signed_callbacks_update_the_outbox()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        int port = CustomApp.FreePort();
        using var app = new CustomApp(new()
        {
            ["Whistle:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Whistle:Sms:Twilio:BaseUrl"] = twilio.BaseUrl,
            ["Whistle:Sms:Twilio:AccountSid"] = FakeTwilio.AccountSid,
            ["Whistle:Sms:Twilio:AuthToken"] = FakeTwilio.AuthToken,
            ["Whistle:Sms:Twilio:From"] = "+16125550100",
        }, kestrelPort: port);
        var client = app.CreateClient();
        var here = new { lat = 45.3, lon = -93.9, radiusMeters = 300 };

        async Task<FakeSms> Next(string to, int nth = 1) => (await WhistleApp.EventuallyAsync(
            () => Task.FromResult(twilio.Received.Where(m => m.To == to).Skip(nth - 1).FirstOrDefault()), m => m is not null, $"an SMS to {to}"))!;
        async Task Subscribe(string number, string language)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "sms", address = number, language, circle = here })).StatusCode);
            var code = Regex.Match((await Next(number)).Body, @"\b\d{6}\b").Value;
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = number, code })).StatusCode);
        }
        await Subscribe("+16125550161", "es");
        await Subscribe("+16125550162", "en");
        Assert.StartsWith("Whistle: su código es", (await Next("+16125550161")).Body);
        Assert.Empty(app.Outbox()); // nothing went to the development sink

        // The first attempt meets a provider error and is retried; the second number is refused as invalid.
        twilio.NextFailures.Enqueue(500);
        twilio.InvalidNumbers["+16125550162"] = true;
        var dispatcher = await app.StaffAsync("dispatcher");
        var created = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = here });
        var id = Guid.Parse((await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        var alert = await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal(1, alert["deliveries"]!["sent"]!.GetValue<int>());
        Assert.Equal(1, alert["deliveries"]!["dead"]!.GetValue<int>());
        var sms = await Next("+16125550161", 2);
        Assert.StartsWith("SIMULACRO", sms.Body);
        Assert.Equal("+16125550100", sms.From);
        Assert.Single(twilio.Received, m => m.To == "+16125550161" && m.Body.StartsWith("SIMULACRO"));

        // A forged callback changes nothing; Twilio's own marks the delivery delivered.
        var forged = await twilio.SendStatusAsync(sms, "delivered", signingToken: "not-the-token");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(0, (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["deliveries"]!["delivered"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NoContent, (await twilio.SendStatusAsync(sms, "delivered")).StatusCode);
        Assert.Equal(1, (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["deliveries"]!["delivered"]!.GetValue<int>());
    }
}
