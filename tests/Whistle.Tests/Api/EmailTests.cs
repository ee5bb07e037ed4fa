using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Fakes;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>E-mail through a real SMTP server (a local fake) with MailKit, and RFC 8058 one-click unsubscribe.</summary>
public sealed class EmailTests
{
    private static CustomApp Start(FakeSmtp smtp)
    {
        int port = CustomApp.FreePort();
        return new CustomApp(new()
        {
            ["Whistle:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Whistle:Email:Smtp:Host"] = smtp.Host,
            ["Whistle:Email:Smtp:Port"] = smtp.Port.ToString(),
            ["Whistle:Email:Smtp:Security"] = "none",
            ["Whistle:Email:From"] = "Twin Cities Rapid Response <alerts@whistle.test>",
        }, kestrelPort: port);
    }

    private static async Task<FakeMail> NextAsync(FakeSmtp smtp, string to, Func<FakeMail, bool> which, string what) =>
        (await WhistleApp.EventuallyAsync(() => Task.FromResult(smtp.To(to).FirstOrDefault(which)), m => m is not null, what))!;

    /// <summary>Subscribes by e-mail and confirms with the code that arrives over SMTP.</summary>
    private static async Task<FakeMail> SubscribeAsync(HttpClient client, FakeSmtp smtp, string address, string language, object circle)
    {
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "email", address, language, circle, drills = true });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var mail = await NextAsync(smtp, address, m => Regex.IsMatch(m.Text ?? "", @"\b\d{6}\b"), $"the code for {address}");
        var code = Regex.Match(mail.Text!, @"\b\d{6}\b").Value;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address, code })).StatusCode);
        return mail;
    }

    private static async Task<JsonObject> DrillAsync(HttpClient dispatcher, object circle)
    {
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        return await WhistleApp.DeliveredAsync(dispatcher, id);
    }

    private static async Task<SubscriberState> StateAsync(CustomApp app, long id)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<WhistleDb>().Subscribers.Where(s => s.Id == id).Select(s => s.State).SingleAsync();
    }

    [Fact]
    public async Task Codes_and_alerts_arrive_by_SMTP_in_each_language_and_the_one_click_link_unsubscribes_only_on_POST()
    {
        await using var smtp = await FakeSmtp.StartAsync();
        using var app = Start(smtp);
        var client = app.CreateClient();
        var here = new { lat = 45.31, lon = -93.91, radiusMeters = 300 };

        var code = await SubscribeAsync(client, smtp, "ana@example.org", "es", here);
        await SubscribeAsync(client, smtp, "ben@example.org", "en", here);
        Assert.Contains("su código es", code.Text);
        Assert.Equal("es", code.Header("Content-Language"));
        Assert.StartsWith("Twin Cities Rapid Response (demo): Whistle: su código es", code.Subject);
        Assert.Null(code.Header("List-Unsubscribe")); // a code is not a list message
        Assert.Equal("alerts@whistle.test", code.From);
        Assert.Empty(app.Outbox()); // nothing went to the development sink

        var dispatcher = await app.StaffAsync("dispatcher");
        var alert = await DrillAsync(dispatcher, here);
        Assert.Equal(2, alert["deliveries"]!["sent"]!.GetValue<int>());
        var messages = alert["messages"]!.AsObject();

        var spanish = await NextAsync(smtp, "ana@example.org", m => m.Header("List-Unsubscribe") is not null, "the alert to ana");
        var english = await NextAsync(smtp, "ben@example.org", m => m.Header("List-Unsubscribe") is not null, "the alert to ben");
        foreach (var (mail, language) in new[] { (spanish, "es"), (english, "en") })
        {
            var text = messages[language]!.GetValue<string>();
            Assert.Equal(language, mail.Header("Content-Language"));
            Assert.Equal("multipart/alternative", mail.ContentType);
            Assert.StartsWith(text, mail.Text);
            Assert.Contains(WebUtility.HtmlEncode(text), mail.Html);
            Assert.DoesNotContain("<img", mail.Html, StringComparison.OrdinalIgnoreCase);
            Assert.StartsWith("Twin Cities Rapid Response (demo): " + text[..20], mail.Subject);
            Assert.True(mail.Subject.Length <= "Twin Cities Rapid Response (demo): ".Length + 79, mail.Subject);
            Assert.Equal("List-Unsubscribe=One-Click", mail.Header("List-Unsubscribe-Post"));
            var url = mail.Header("List-Unsubscribe")!.Trim('<', '>');
            Assert.Contains(url, mail.Text);
            Assert.Contains(WebUtility.HtmlEncode(url), mail.Html);
            Assert.NotEqual("", mail.MessageId);
        }
        Assert.StartsWith("SIMULACRO", spanish.Text);
        Assert.NotEqual(spanish.MessageId, english.MessageId);

        var oneClick = spanish.Header("List-Unsubscribe")!.Trim('<', '>');
        Assert.StartsWith($"{app.Settings["Whistle:PublicBaseUrl"]}/api/v1/subscriptions/one-click?token=", oneClick);
        var token = Uri.UnescapeDataString(oneClick[(oneClick.IndexOf("token=", StringComparison.Ordinal) + 6)..]);
        long anaId = long.Parse(token.Split('.')[0]);
        using var mailClient = new HttpClient(); // what a mail client or a link scanner does, over the network

        // A GET (a link scanner) changes nothing: it gets a page with a button that POSTs the form.
        var page = await mailClient.GetAsync(oneClick);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("method=\"post\"", html);
        Assert.Contains("name=\"List-Unsubscribe\" value=\"One-Click\"", html);
        Assert.Equal(SubscriberState.Confirmed, await StateAsync(app, anaId));

        // A forged token — another subscriber's id with this MAC, or a changed MAC — is refused.
        var mac = token.Split('.')[1];
        var baseUrl = oneClick[..(oneClick.IndexOf("token=", StringComparison.Ordinal) + 6)];
        var otherId = baseUrl + Uri.EscapeDataString($"{anaId + 1}.{mac}");
        var badMac = baseUrl + Uri.EscapeDataString($"{anaId}.{(mac[0] == 'A' ? 'B' : 'A')}{mac[1..]}");
        foreach (var forged in new[] { otherId, badMac, baseUrl + "nonsense" })
        {
            var bad = await mailClient.PostAsync(forged, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(SubscriberState.Confirmed, await StateAsync(app, anaId));

        // The one-click POST, exactly as RFC 8058 has mail clients send it: unsubscribed at once, and again is fine.
        for (int i = 0; i < 2; i++)
        {
            var post = await mailClient.PostAsync(oneClick, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }
        Assert.Equal(SubscriberState.Unsubscribed, await StateAsync(app, anaId));
        await NextAsync(smtp, "ana@example.org", m => m.Text!.Contains("ya no recibirá alertas"), "the unsubscribed notice");

        var next = await DrillAsync(dispatcher, here);
        Assert.Equal(1, next["recipients"]!.GetValue<int>());
        var nextText = next["messages"]!["en"]!.GetValue<string>();
        await NextAsync(smtp, "ben@example.org", m => m.Text!.StartsWith(nextText), "the second alert to ben");
        Assert.Single(smtp.To("ana@example.org"), m => m.Text!.StartsWith("SIMULACRO"));
        Assert.Single(smtp.To("ana@example.org"), m => m.Text!.Contains("ya no recibirá alertas"));
        // Connections are reused: six messages (two codes, three alerts, a notice) over no more connections than the lane runs at once (4).
        Assert.Equal(6, smtp.Received.Count);
        Assert.InRange(smtp.Sessions, 1, 4);
    }

    [Fact]
    public async Task A_550_recipient_ends_dead_with_the_reason_and_a_451_recipient_is_retried_and_delivered()
    {
        await using var smtp = await FakeSmtp.StartAsync();
        using var app = Start(smtp);
        var client = app.CreateClient();
        var here = new { lat = 45.33, lon = -93.93, radiusMeters = 300 };
        await SubscribeAsync(client, smtp, "gone@example.org", "en", here);
        await SubscribeAsync(client, smtp, "later@example.org", "en", here);
        await SubscribeAsync(client, smtp, "fine@example.org", "en", here);

        smtp.Unknown["gone@example.org"] = true;
        smtp.Deferred["later@example.org"] = 1;
        var dispatcher = await app.StaffAsync("dispatcher");
        var alert = await DrillAsync(dispatcher, here);
        Assert.Equal(2, alert["deliveries"]!["sent"]!.GetValue<int>());
        Assert.Equal(1, alert["deliveries"]!["dead"]!.GetValue<int>());

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var dead = await db.Deliveries.Where(d => d.State == Whistle.Delivery.DeliveryState.Dead).SingleAsync();
            Assert.StartsWith("smtp 550", dead.LastError);
            Assert.Equal(1, dead.Attempts); // refused for good: not tried again
            var retried = await db.Deliveries.Where(d => d.State == Whistle.Delivery.DeliveryState.Sent && d.Attempts == 2).SingleAsync();
            Assert.NotNull(retried.SentAt);
        }
        var text = alert["messages"]!["en"]!.GetValue<string>();
        Assert.Equal([451, 250], smtp.Recipients.Where(r => r.To == "later@example.org" && r.At > smtp.To("later@example.org").First().ReceivedAt).Select(r => r.Code));
        Assert.Single(smtp.To("later@example.org"), m => m.Text!.StartsWith(text));
        Assert.Single(smtp.To("fine@example.org"), m => m.Text!.StartsWith(text));
        Assert.DoesNotContain(smtp.To("gone@example.org"), m => m.Text!.StartsWith(text));
        // The server's reply (which may quote the address) is not what is logged.
        Assert.DoesNotContain(app.Logs, l => l.Contains("gone@example.org"));
    }
}
