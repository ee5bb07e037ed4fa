using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>The public home follows alerts live (Server-Sent Events): a sent alert appears, a false alarm shows as retracted.</summary>
public sealed class HomeLiveTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_alert_a_dispatcher_sends_appears_on_the_open_home_page_and_a_false_alarm_shows_as_retracted_without_reload()
    {
        var phone = await browser.NewPageAsync(BrowserFixture.Phone, locale: "es-US");
        await phone.GotoAsync("/");
        var desktop = await browser.NewPageAsync(BrowserFixture.Desktop);
        await desktop.GotoAsync("/");
        foreach (var page in new[] { phone, desktop })
        {
            await Expect(page.Locator("#alerts")).ToHaveAttributeAsync("data-live", "true");
            await Expect(page.Locator("#alerts li.none")).ToBeVisibleAsync();
        }
        // Any navigation would wipe this marker: it proves the pages are never reloaded.
        await phone.EvaluateAsync("() => window.notReloaded = true");

        var public_ = browser.App.CreateClient();
        var dispatcher = await browser.App.StaffAsync("dispatcher");
        var report = await public_.PostAsJsonAsync("/api/v1/reports",
            new { activity = "checkpoint", lat = 44.9485, lon = -93.2555, agents = 4, placeText = "Lake St & Bloomington" });
        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        var sightingId = (string)(await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!;
        (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sightingId}/verification", new { outcome = "confirmed", note = "seen" })).EnsureSuccessStatusCode();
        var sent = await dispatcher.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId, circle = new { lat = 44.9485, lon = -93.2555, radiusMeters = 1000 } });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var alertId = (string)(await sent.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        var onPhone = phone.Locator($"#alerts li[data-id='{alertId}']");
        await Expect(onPhone).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(onPhone).ToContainTextAsync("VERIFICADO");
        await Expect(onPhone).Not.ToHaveClassAsync("alert retracted");
        await Expect(desktop.Locator($"#alerts li[data-id='{alertId}']")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(desktop.Locator("#map path.leaflet-interactive")).ToHaveCountAsync(88); // 87 zones and the alert's circle
        await BrowserFixture.ScreenshotAsync(phone, "home-phone-es-live-alert");
        await BrowserFixture.ScreenshotAsync(desktop, "home-desktop-en-live-alert");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(phone));

        (await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{alertId}/cancel", new { reason = "false_alarm" })).EnsureSuccessStatusCode();
        await Expect(onPhone).ToHaveClassAsync("alert retracted", new() { Timeout = 10_000 });
        await Expect(onPhone.Locator(".label")).ToHaveTextAsync("Falsa alarma — retirada");
        await Expect(desktop.Locator($"#alerts li[data-id='{alertId}'] .label")).ToHaveTextAsync("False alarm — retracted", new() { Timeout = 10_000 });
        Assert.True(await phone.EvaluateAsync<bool>("() => window.notReloaded === true"));
        await BrowserFixture.ScreenshotAsync(phone, "home-phone-es-retracted");
        await BrowserFixture.ScreenshotAsync(desktop, "home-desktop-en-retracted");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(phone));
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(desktop));

        // The plain list of active alerts no longer has it; asked for retractions, it is there as one.
        var active = (await public_.GetFromJsonAsync<JsonObject>("/api/v1/alerts/active"))!["features"]!.AsArray();
        Assert.DoesNotContain(active, f => (string)f!["properties"]!["id"]! == alertId);
        var withRetracted = (await public_.GetFromJsonAsync<JsonObject>("/api/v1/alerts/active?include=retracted"))!["features"]!.AsArray();
        Assert.Equal("retracted", (string)withRetracted.Single(f => (string)f!["properties"]!["id"]! == alertId)!["properties"]!["state"]!);
    }
}
