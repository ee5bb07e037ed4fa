using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>The public report form (/report) and its offline queue, in a real browser against a real Whistle.</summary>
public sealed class ReportPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private async Task<List<JsonObject>> SightingsAsync(HttpClient staff) =>
        await WhistleApp.QueueAsync(staff);

    [Fact]
    public async Task A_resident_reports_in_Spanish_on_a_phone_sees_the_apis_field_errors_then_a_confirmation()
    {
        var page = await browser.NewPageAsync(BrowserFixture.Phone, locale: "es-MX");
        await page.GotoAsync("/report");
        Assert.Equal("es", await page.Locator("html").GetAttributeAsync("lang"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Reporte lo que ve");
        // The retention of a call-back contact is stated, from the configuration (48 h by default).
        await Expect(page.Locator("#hint-contact")).ToContainTextAsync("48 horas");
        await Expect(page.Locator("#map path.zone")).ToHaveCountAsync(87);
        await BrowserFixture.ScreenshotAsync(page, "report-phone-es");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // Nothing filled in: the API's problem details come back as messages next to the fields.
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar reporte" }).ClickAsync();
        await Expect(page.Locator("#err-activity")).ToHaveTextAsync("Elija qué está pasando.");
        await Expect(page.Locator("#err-location")).ToBeVisibleAsync();
        await Expect(page.Locator("#f-activity")).ToHaveAttributeAsync("aria-invalid", "true");
        await BrowserFixture.ScreenshotAsync(page, "report-phone-es-errors");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // Too many agents: the API's own message for that field.
        await page.GetByLabel("Agentes").FillAsync("5000");
        await page.GetByText("Retén").ClickAsync();
        await page.Locator("#map").ClickAsync();
        await Expect(page.Locator("#location-status")).ToHaveTextAsync("Lugar marcado en el mapa.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar reporte" }).ClickAsync();
        await Expect(page.Locator("#err-agents")).ToHaveTextAsync("Entre 0 y 1000."); // the API's own message, in the page's language (issue 12 §5)
        await Expect(page.Locator("#err-activity")).ToBeHiddenAsync();

        var place = "Lake St y Bloomington " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Agentes").FillAsync("4");
        await page.GetByLabel("Vehículos", new() { Exact = true }).FillAsync("2");
        await page.GetByText("ICE", new() { Exact = true }).ClickAsync();
        await page.GetByLabel("Calle, esquina o punto de referencia").FillAsync(place);
        await page.GetByLabel("Teléfono o correo para devolverle la llamada (opcional)").FillAsync("+16125550123");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enviar reporte" }).ClickAsync();
        await Expect(page.Locator("#done-title")).ToHaveTextAsync("Gracias — recibimos su reporte");
        await Expect(page.Locator("#report")).ToBeHiddenAsync();
        await BrowserFixture.ScreenshotAsync(page, "report-phone-es-sent");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // The report arrived as the resident wrote it, with its location from the map tap.
        var staff = await browser.App.StaffAsync("dispatcher");
        var sighting = (await SightingsAsync(staff)).Single(s => (string?)s["placeText"] == place);
        Assert.Equal("checkpoint", (string?)sighting["activity"]);
        Assert.NotNull((double?)sighting["lat"]);
        var detail = (await staff.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting["id"]}"))!;
        var report = detail["reports"]!.AsArray().Single()!;
        Assert.Equal(4, (int)report["agents"]!);
        Assert.Equal(2, (int)report["vehicles"]!);
        Assert.Equal("ice", (string?)report["agency"]);
        Assert.Equal("web", (string?)report["channel"]);
        Assert.Equal("+16125550123", (string?)report["contact"]);

        var desktop = await browser.NewPageAsync(BrowserFixture.Desktop);
        await desktop.GotoAsync("/report");
        await Expect(desktop.Locator("h1")).ToHaveTextAsync("Report what you see");
        await Expect(desktop.Locator("#map path.zone")).ToHaveCountAsync(87);
        await BrowserFixture.ScreenshotAsync(desktop, "report-desktop-en");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(desktop));
        foreach (var lang in new[] { "so", "hmn" })
        {
            await desktop.GotoAsync("/report?lang=" + lang);
            Assert.Equal(lang, await desktop.Locator("html").GetAttributeAsync("lang"));
            Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(desktop));
        }
    }

    [Fact]
    public async Task The_report_page_weighs_under_150_KB_on_a_cold_load()
    {
        var page = await browser.NewPageAsync(BrowserFixture.Phone);
        var responses = new List<IResponse>();
        page.Response += (_, r) => responses.Add(r);
        await page.GotoAsync("/report", new() { WaitUntil = WaitUntilState.NetworkIdle });
        await Expect(page.Locator("#map path.zone")).ToHaveCountAsync(87);
        long total = 0;
        var each = new List<string>();
        foreach (var r in responses.ToList())
        {
            var sizes = await r.Request.SizesAsync();
            total += sizes.ResponseBodySize + sizes.ResponseHeadersSize;
            each.Add($"{new Uri(r.Url).AbsolutePath} {sizes.ResponseBodySize / 1024.0:0.#} KB");
        }
        Assert.True(responses.Count >= 5, $"only {responses.Count} responses seen");
        Assert.True(total < 150 * 1024, $"the report page transferred {total / 1024} KB: {string.Join(", ", each)}");
    }

    [Fact]
    public async Task The_site_is_installable_and_a_report_written_offline_is_queued_then_sent_when_back_online()
    {
        var http = browser.App.CreateClient();
        var manifest = await http.GetAsync("/manifest.webmanifest");
        Assert.Equal("application/manifest+json", manifest.Content.Headers.ContentType?.MediaType);
        var m = (await manifest.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("standalone", (string?)m["display"]);
        Assert.Equal("/", (string?)m["start_url"]);
        foreach (var icon in m["icons"]!.AsArray())
            Assert.True((await http.GetAsync((string)icon!["src"]!)).IsSuccessStatusCode, (string)icon["src"]!);

        var page = await browser.NewPageAsync(BrowserFixture.Phone);
        await page.GotoAsync("/report");
        // The service worker takes control of the page (scope /).
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.controller !== null");
        Assert.Equal(browser.BaseUrl + "/", await page.EvaluateAsync<string>("async () => (await navigator.serviceWorker.ready).scope"));

        var place = "Offline corner " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByText("Patrol", new() { Exact = true }).ClickAsync();
        await page.GetByLabel("Street, corner or landmark").FillAsync(place);
        await page.Context.SetOfflineAsync(true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send report" }).ClickAsync();
        await Expect(page.Locator("#done-title")).ToHaveTextAsync("Saved on this phone");
        await Expect(page.Locator("#done-text")).ToContainTextAsync("will be sent when you are back online");
        await BrowserFixture.ScreenshotAsync(page, "report-phone-en-queued");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        await page.Context.SetOfflineAsync(false);
        await Expect(page.Locator("#queue-status")).ToHaveTextAsync("Your saved report has been sent. Thank you.");
        var staff = await browser.App.StaffAsync("dispatcher");
        var arrived = await WhistleApp.EventuallyAsync(() => SightingsAsync(staff),
            list => list.Any(s => (string?)s["placeText"] == place), "the queued report to arrive");
        Assert.Single(arrived, s => (string?)s["placeText"] == place);
        Assert.Empty(await page.EvaluateAsync<System.Text.Json.JsonElement[]>("() => WhistleQueue.all()"));
        await BrowserFixture.ScreenshotAsync(page, "report-phone-en-queued-sent");
    }
}
