using Microsoft.Playwright;
using Whistle.Registry;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>/registry in a real browser, in each language: headings, table, charts, axe, screenshots.</summary>
public sealed class RegistryPageTests(EveryRowBrowserFixture browser) : IClassFixture<EveryRowBrowserFixture>
{
    [Fact]
    public async Task The_registry_page_speaks_four_languages_draws_its_charts_without_script_and_passes_axe()
    {
        var seeded = await RegistrySeed.IncidentsAsync(browser.App);
        var expected = new Dictionary<string, (string H1, string Month, string Shooting)>
        {
            ["es"] = ("Rendición de cuentas pública", "Mes", "Disparos"),
            ["en"] = ("Public accountability", "Month", "Shooting"),
            ["so"] = ("La xisaabtanka dadweynaha", "Bil", "Toogasho"),
            ["hmn"] = ("Kev lav ris rau pej xeem", "Lub hli", "Tua phom"),
        };
        foreach (var (lang, (h1, month, shooting)) in expected)
        {
            bool phone = lang is "es" or "so";
            // Spanish comes from the browser's language; the others from the switcher's ?lang=.
            var page = await browser.NewPageAsync(phone ? BrowserFixture.Phone : BrowserFixture.Desktop, locale: lang == "es" ? "es-MX" : "en-US");
            await page.GotoAsync(lang == "es" ? "/registry" : "/registry?lang=" + lang);
            Assert.Equal(lang, await page.Locator("html").GetAttributeAsync("lang"));
            await Expect(page.Locator("h1")).ToHaveTextAsync(h1);
            await Expect(page.Locator("nav a[aria-current=page]")).ToHaveAttributeAsync("href", "/registry");
            // The table: a caption, column headers with scope, our rows (and none unpublished).
            var table = page.Locator("table.incidents");
            await Expect(table.Locator("caption")).Not.ToBeEmptyAsync();
            await Expect(table.Locator("thead th").First).ToHaveTextAsync(month);
            Assert.Equal(8, await table.Locator("thead th[scope=col]").CountAsync());
            foreach (var i in seeded.Published)
                await Expect(page.Locator($"tr[id='{RegistryRow.PublicId(i.Id)}']")).ToHaveCountAsync(1);
            await Expect(page.Locator($"tr[id='{RegistryRow.PublicId(seeded.Hidden.Id)}']")).ToHaveCountAsync(0);
            await Expect(table).ToContainTextAsync(shooting);
            // The charts are inline SVG images, drawn by the server in this language.
            var charts = page.Locator("svg[role=img]");
            await Expect(charts).ToHaveCountAsync(2);
            Assert.True(await page.Locator("svg.chart rect.bar").CountAsync() >= 3 + 3);
            Assert.Contains(shooting, await page.Locator("#chart-categories").TextContentAsync() ?? "");
            Assert.Equal(0, await page.Locator("main script").CountAsync());
            // Nothing personal on the page.
            var html = await page.ContentAsync();
            Assert.DoesNotContain(RegistrySeed.Name, html);
            Assert.DoesNotContain(RegistrySeed.Place, html);

            await BrowserFixture.ScreenshotAsync(page, $"registry-{(phone ? "phone" : "desktop")}-{lang}");
            Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));
        }

        // The schema it links to.
        var schema = await browser.NewPageAsync(BrowserFixture.Desktop);
        await schema.GotoAsync("/registry?lang=en");
        await schema.GetByRole(AriaRole.Link, new() { Name = "What each field means (in English)" }).ClickAsync();
        await Expect(schema).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/registry/schema$"));
        await Expect(schema.Locator("article h1")).ToHaveTextAsync("The public registry: schema");
        await BrowserFixture.ScreenshotAsync(schema, "registry-schema-desktop-en");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(schema));
    }
}

/// <summary>A browser on a Whistle with k = 1 (Whistle:Registry:MinCellSize), so the seeded incidents each show as a row.</summary>
public sealed class EveryRowBrowserFixture : BrowserFixture
{
    protected override Dictionary<string, string?> Settings => new() { ["Whistle:Registry:MinCellSize"] = "1" };
}
