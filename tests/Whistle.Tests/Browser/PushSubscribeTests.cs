using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Whistle.Fakes;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// "This browser" as the channel: the subscribe page registers the service worker, subscribes with our VAPID key,
/// gets its code and then an alert as encrypted web push, and the service worker shows them as notifications.
/// </summary>
/// <remarks>
/// Chromium's <c>pushManager.subscribe</c> talks to its vendor's push service (FCM), which this offline machine cannot
/// reach; so the page is handed, at that one call, a subscription from the local fake push service (an endpoint, a
/// P-256 key and an auth secret, exactly what the browser would make). Everything after it is real: the page posts it,
/// Whistle encrypts (RFC 8291) and signs (RFC 8292) over HTTP, the fake checks the VAPID key the page subscribed with and
/// decrypts, and the decrypted message is delivered to the real service worker through the DevTools protocol.
/// </remarks>
public sealed class PushSubscribeTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_resident_subscribes_this_browser_in_Spanish_gets_the_code_and_a_drill_as_notifications()
    {
        await using var push = await FakePushService.StartAsync();
        var sub = push.NewSubscription();
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        push.ExpectedApplicationServerKey = (await http.GetFromJsonAsync<JsonObject>("/api/v1/push/key"))!["publicKey"]!.GetValue<string>();

        var page = await browser.NewPageAsync(BrowserFixture.Phone, locale: "es-MX");
        await page.Context.GrantPermissionsAsync(["notifications"]);
        await page.Context.AddInitScriptAsync($$"""
            PushManager.prototype.subscribe = function (options) {
              var key = new Uint8Array(options.applicationServerKey);
              window.__subscribedWith = btoa(String.fromCharCode.apply(null, key)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
              var s = { endpoint: {{JsonSerializer.Serialize(sub.Endpoint)}}, keys: { p256dh: {{JsonSerializer.Serialize(sub.P256dh)}}, auth: {{JsonSerializer.Serialize(sub.Auth)}} } };
              return Promise.resolve({ endpoint: s.endpoint, toJSON: function () { return s; } });
            };
            """);
        await page.GotoAsync("/subscribe");
        await page.GetByText("Este navegador", new() { Exact = true }).ClickAsync();
        await Expect(page.GetByLabel("Número de celular")).ToBeHiddenAsync(); // no address to type for this browser
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Powderhorn Park" }).CheckAsync();
        await page.GetByLabel("Envíenme también simulacros", new() { Exact = false }).CheckAsync(); // the drill below is for those who chose drills
        await page.GetByRole(AriaRole.Button, new() { Name = "Envíenme un código" }).ClickAsync();
        await Expect(page.Locator("#confirm-title")).ToHaveTextAsync("Escriba su código");
        Assert.Equal(push.ExpectedApplicationServerKey, await page.EvaluateAsync<string>("() => window.__subscribedWith"));

        // The code arrives as an encrypted push the fake could decrypt with this browser's key.
        var codePush = await WhistleApp.EventuallyAsync(() => Task.FromResult(push.To(sub).FirstOrDefault()), p => p is not null, "the code by web push");
        var code = Regex.Match(codePush!.Payload.GetProperty("body").GetString()!, @"\b\d{6}\b").Value;
        await page.GetByLabel("Código de 6 dígitos").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirmar" }).ClickAsync();
        await Expect(page.Locator("#done")).ToContainTextAsync("Ya está suscrito");

        // A drill on the zone reaches this browser, in Spanish.
        var dispatcher = await browser.App.StaffAsync("dispatcher");
        var zone = (await http.GetFromJsonAsync<JsonObject>("/api/v1/zones"))!["features"]!.AsArray()
            .First(f => f!["properties"]!["name"]!.GetValue<string>() == "Powderhorn Park")!["properties"]!["id"]!.GetValue<int>();
        var drill = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { zone }, activity = "patrol", place = "Prueba" });
        drill.EnsureSuccessStatusCode();
        var alertPush = await WhistleApp.EventuallyAsync(() => Task.FromResult(push.To(sub).FirstOrDefault(p => p.Payload.TryGetProperty("alertId", out var a) && a.ValueKind == JsonValueKind.String)),
            p => p is not null, "the drill by web push");
        var body = alertPush!.Payload.GetProperty("body").GetString()!;
        Assert.StartsWith("SIMULACRO - SOLO PRUEBA", body);

        // The real service worker receives that message and shows it as a notification.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var registrations = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        cdp.Event("ServiceWorker.workerRegistrationUpdated").OnEvent += (_, e) =>
        {
            foreach (var r in e!.Value.GetProperty("registrations").EnumerateArray())
                if (r.GetProperty("scopeURL").GetString() == browser.BaseUrl.TrimEnd('/') + "/" && !r.GetProperty("isDeleted").GetBoolean())
                    registrations.TrySetResult(r.GetProperty("registrationId").GetString()!);
        };
        await cdp.SendAsync("ServiceWorker.enable");
        var registrationId = await registrations.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cdp.SendAsync("ServiceWorker.deliverPushMessage", new Dictionary<string, object>
        {
            ["origin"] = browser.BaseUrl.TrimEnd('/'), ["registrationId"] = registrationId, ["data"] = alertPush.Json,
        });
        var shown = await WhistleApp.EventuallyAsync(() => page.EvaluateAsync<string[]>(
                "async () => (await (await navigator.serviceWorker.ready).getNotifications()).map(n => n.title + ' | ' + n.body)"),
            n => n.Length > 0, "the notification");
        Assert.Contains(shown, n => n.EndsWith(" | " + body, StringComparison.Ordinal));
    }
}
