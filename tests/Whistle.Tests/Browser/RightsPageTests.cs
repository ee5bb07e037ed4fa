using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>Know your rights (/rights): seeded in four languages, edited by admins as Markdown, rendered without raw HTML.</summary>
public sealed class RightsPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_rights_page_speaks_four_languages_and_an_admins_Markdown_edit_shows_without_raw_html()
    {
        var page = await browser.NewPageAsync(BrowserFixture.Phone, locale: "es-MX");
        await page.GotoAsync("/rights");
        Assert.Equal("es", await page.Locator("html").GetAttributeAsync("lang"));
        await Expect(page.Locator("article h1")).ToHaveTextAsync("Conozca sus derechos");
        await Expect(page.Locator("article")).ToContainTextAsync("orden judicial firmada por un juez");
        await BrowserFixture.ScreenshotAsync(page, "rights-phone-es");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));
        var desktop = await browser.NewPageAsync(BrowserFixture.Desktop);
        var titles = new Dictionary<string, string> { ["en"] = "Know your rights", ["so"] = "Ogow xuquuqdaada", ["hmn"] = "Paub koj txoj cai" };
        foreach (var (lang, title) in titles)
        {
            await desktop.GotoAsync("/rights?lang=" + lang);
            Assert.Equal(lang, await desktop.Locator("html").GetAttributeAsync("lang"));
            await Expect(desktop.Locator("article h1")).ToHaveTextAsync(title);
            Assert.Equal(6, await desktop.Locator("article li").CountAsync());
            if (lang == "en") await BrowserFixture.ScreenshotAsync(desktop, "rights-desktop-en");
            Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(desktop));
        }

        // Only admins edit; bad input is a problem with the field; unknown pages are 404.
        var dispatcher = await browser.App.StaffAsync("dispatcher");
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PutAsJsonAsync("/api/v1/pages/rights/so", new { markdown = "# x" })).StatusCode);
        var admin = await browser.App.StaffAsync("admin");
        var empty = await admin.PutAsJsonAsync("/api/v1/pages/rights/so", new { markdown = " " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.NotNull((await empty.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["markdown"]);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync("/api/v1/pages/nope/so", new { markdown = "# x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/pages/rights/xx")).StatusCode);

        var edit = "# Xuquuqdaada\n\nWac **qareen**. <script>window.pwned = true</script><b>raw</b> [bog](javascript:window.pwned=true) [caawimo](https://example.org/help)";
        var put = await admin.PutAsJsonAsync("/api/v1/pages/rights/so", new { markdown = edit });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var saved = (await admin.GetFromJsonAsync<JsonObject>("/api/v1/pages/rights/so"))!;
        Assert.Equal(edit, (string)saved["markdown"]!);
        Assert.True((bool)saved["edited"]!);

        await desktop.GotoAsync("/rights?lang=so");
        await Expect(desktop.Locator("article h1")).ToHaveTextAsync("Xuquuqdaada");
        await Expect(desktop.Locator("article strong")).ToHaveTextAsync("qareen");
        await Expect(desktop.Locator("article")).ToContainTextAsync("<script>window.pwned = true</script>"); // shown as text
        Assert.Equal(0, await desktop.Locator("article script, article b").CountAsync());
        Assert.Equal("#", await desktop.GetByRole(AriaRole.Link, new() { Name = "bog" }).GetAttributeAsync("href"));
        Assert.Equal("https://example.org/help", await desktop.GetByRole(AriaRole.Link, new() { Name = "caawimo" }).GetAttributeAsync("href"));
        Assert.False(await desktop.EvaluateAsync<bool>("() => window.pwned === true"));
        // The other languages keep the seeded text.
        await desktop.GotoAsync("/rights?lang=hmn");
        await Expect(desktop.Locator("article h1")).ToHaveTextAsync("Paub koj txoj cai");
    }
}
