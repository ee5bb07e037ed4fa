using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>Sign-up (/subscribe) with its code step, and /unsubscribe, in a real browser.</summary>
public sealed class SubscribePageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_resident_subscribes_by_email_in_Spanish_picking_zones_confirms_the_code_then_unsubscribes()
    {
        var page = await browser.NewPageAsync(BrowserFixture.Phone, locale: "es-MX");
        await page.GotoAsync("/subscribe");
        Assert.Equal("es", await page.Locator("html").GetAttributeAsync("lang"));
        await Expect(page.Locator("#map path.zone")).ToHaveCountAsync(87);
        await Expect(page.Locator("#zone-list input[type=checkbox]")).ToHaveCountAsync(87);
        Assert.Equal("es", await page.Locator("#language").InputValueAsync());
        await BrowserFixture.ScreenshotAsync(page, "subscribe-phone-es");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // No area, no address: the API's problems, next to their fields.
        await page.GetByText("Correo electrónico", new() { Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Envíenme un código" }).ClickAsync();
        await Expect(page.Locator("#err-area")).ToHaveTextAsync("Elija al menos un vecindario, o un lugar y una distancia.");
        await Expect(page.Locator("#err-address")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "subscribe-phone-es-errors");

        // One zone from the list (keyboard and screen-reader way), one by tapping the map.
        var address = $"vecina-{Guid.NewGuid():N}@example.org";
        await page.GetByLabel("Dirección de correo").FillAsync(address);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Phillips West" }).CheckAsync();
        await page.Locator("#map path.zone").Nth(10).DispatchEventAsync("click");
        Assert.Equal(2, await page.Locator("#zone-list input:checked").CountAsync());
        var zoneIds = await page.Locator("#zone-list input:checked").EvaluateAllAsync<int[]>("els => els.map(e => Number(e.value))");
        // "Also send me drills": the drill below reaches only subscribers who chose it (issue 12 §3).
        await page.GetByLabel("Envíenme también simulacros", new() { Exact = false }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Envíenme un código" }).ClickAsync();
        await Expect(page.Locator("#confirm-title")).ToHaveTextAsync("Escriba su código");

        var line = await WhistleApp.EventuallyAsync(() => Task.FromResult(browser.App.Outbox().LastOrDefault(l => l.AlertId is null && l.Recipient == address)),
            l => l is not null, "the confirmation code by e-mail");
        Assert.Equal("es", line!.Language);
        var code = Regex.Match(line.Text, @"\b\d{6}\b").Value;
        await page.GetByLabel("Código de 6 dígitos").FillAsync(code == "000000" ? "111111" : "000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirmar" }).ClickAsync();
        await Expect(page.Locator("#confirm-error")).ToBeVisibleAsync(); // a wrong code: the API's message, in the page
        await page.GetByLabel("Código de 6 dígitos").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirmar" }).ClickAsync();
        await Expect(page.Locator("#done")).ToContainTextAsync("Ya está suscrito");
        await BrowserFixture.ScreenshotAsync(page, "subscribe-phone-es-done");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // The subscriber is real: an alert drill on one of the chosen zones reaches the address, in Spanish.
        var dispatcher = await browser.App.StaffAsync("dispatcher");
        var drill = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { zoneIds[0] }, activity = "patrol", place = "Prueba" });
        drill.EnsureSuccessStatusCode();
        var drillId = Guid.Parse((string)(await drill.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        await WhistleApp.EventuallyAsync(() => Task.FromResult(browser.App.Outbox().Any(l => l.AlertId == drillId && l.Recipient == address && l.Language == "es")),
            found => found, "the drill to reach the new subscriber");

        var desktop = await browser.NewPageAsync(BrowserFixture.Desktop);
        await desktop.GotoAsync("/subscribe");
        await BrowserFixture.ScreenshotAsync(desktop, "subscribe-desktop-en");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(desktop));

        await page.GotoAsync("/unsubscribe");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dejar de recibir alertas");
        await page.GetByText("Correo electrónico", new() { Exact = true }).ClickAsync();
        await page.GetByLabel("El teléfono o correo que recibe las alertas").FillAsync(address);
        int before = browser.App.Outbox().Count;
        await page.GetByRole(AriaRole.Button, new() { Name = "Detener alertas" }).ClickAsync();
        // Only the owner of the address stops it: a code goes to the address, and nothing changes until it comes back.
        await Expect(page.Locator("#unsub-confirm-title")).ToHaveTextAsync("Escriba su código");
        var unsubLine = await WhistleApp.EventuallyAsync(() => Task.FromResult(browser.App.Outbox().Skip(before).LastOrDefault(l => l.AlertId is null && l.Recipient == address)),
            l => l is not null, "the unsubscribe code by e-mail");
        await page.GetByLabel("Código de 6 dígitos").FillAsync(Regex.Match(unsubLine!.Text, @"\b\d{6}\b").Value);
        await page.Locator("#unsub-confirm button").ClickAsync();
        await Expect(page.Locator("#done")).ToContainTextAsync("Listo");
        await Expect(page.Locator("#done")).ToContainTextAsync("Esta dirección ya no recibirá alertas.");
        await BrowserFixture.ScreenshotAsync(page, "unsubscribe-phone-es-done");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));
        await desktop.GotoAsync("/unsubscribe");
        await BrowserFixture.ScreenshotAsync(desktop, "unsubscribe-desktop-en");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(desktop));
        // Stopped: the API says so once, on the same channel.
        await WhistleApp.EventuallyAsync(() => Task.FromResult(browser.App.Outbox().Count(l => l.AlertId is null && l.Recipient == address)),
            n => n >= 3, "the goodbye message");
    }
}
