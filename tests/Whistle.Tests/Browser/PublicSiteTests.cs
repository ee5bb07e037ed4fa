using Microsoft.Playwright;

namespace Whistle.Tests.Browser;

/// <summary>The public pages in a real browser: language, map, accessibility, screenshots.</summary>
public sealed class PublicSiteTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_home_page_speaks_the_visitors_language_draws_every_neighbourhood_without_tiles_and_passes_axe()
    {
        var page = await browser.NewPageAsync(BrowserFixture.Phone, locale: "es-MX");
        await page.GotoAsync("/");
        Assert.Equal("es", await page.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal("Alertas verificadas", (await page.Locator("h1").InnerTextAsync()).Trim());
        // The 87 neighbourhoods are vectors: they show although no map tile can load here (no internet).
        await Assertions.Expect(page.Locator("#map path.leaflet-interactive")).ToHaveCountAsync(87);
        await BrowserFixture.ScreenshotAsync(page, "home-phone-es");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // The switcher changes the language, and it is remembered.
        await page.GetByRole(AriaRole.Link, new() { Name = "Soomaali" }).ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "so");
        await page.GotoAsync("/");
        Assert.Equal("so", await page.Locator("html").GetAttributeAsync("lang"));

        var desktop = await browser.NewPageAsync(BrowserFixture.Desktop);
        await desktop.GotoAsync("/");
        Assert.Equal("en", await desktop.Locator("html").GetAttributeAsync("lang"));
        await BrowserFixture.ScreenshotAsync(desktop, "home-desktop-en");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(desktop));
    }
}
