using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Data;
using Whistle.Identity;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>A new, empty network (not the demo): no zones, no accounts, default name and time zone.</summary>
public sealed class EmptyNetworkFixture : BrowserFixture
{
    protected override Dictionary<string, string?> Settings => new() { ["Whistle:Demo"] = "false" };
}

/// <summary>
/// Issue 12 §7 in a real browser: a new network's home page says it is being set up (no blank map), its login
/// page says how the first admin is made (on the server, never from the page), and the first admin's console shows
/// the first-run checklist, where the name and time zone are set.
/// </summary>
public sealed class FirstRunPagesTests(EmptyNetworkFixture browser) : IClassFixture<EmptyNetworkFixture>
{
    [Fact]
    public async Task An_empty_network_says_it_is_being_set_up_and_its_first_admin_gets_a_checklist()
    {
        var page = await browser.NewPageAsync(BrowserFixture.Phone);
        await page.GotoAsync("/?lang=es", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await Expect(page.Locator("#setting-up")).ToContainTextAsync("Esta red se está configurando");
        await Expect(page.Locator("#map")).ToBeHiddenAsync();

        await page.GotoAsync("/console?lang=en", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/login");
        await Expect(page.Locator("#first-admin")).ToContainTextAsync("users add --email");
        var violations = await BrowserFixture.SeriousAccessibilityViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));

        // The first admin, made on the server as the page says (here: the same call the CLI makes); this test
        // network asks no second factor so the browser can log straight in.
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, "first@network.test", Roles.Admin, password)).Succeeded);
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            await db.Network.ExecuteUpdateAsync(u => u.SetProperty(n => n.SecondFactorRoles, ""));
        }
        await page.GotoAsync("/console/login");
        await Expect(page.Locator("#first-admin")).ToHaveCountAsync(0);
        await page.GetByLabel("E-mail address").FillAsync("first@network.test");
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console");

        var list = page.Locator("#first-run");
        await Expect(list).ToBeVisibleAsync();
        await Expect(list.Locator("[data-step=admin]")).ToHaveAttributeAsync("data-done", "true");
        await Expect(list.Locator("[data-step=zones]")).ToHaveAttributeAsync("data-done", "false");
        await Expect(list.Locator("[data-step=zones] a")).ToHaveAttributeAsync("href", "/console/admin/zones");
        await Expect(list.Locator("[data-step=templates] a")).ToHaveAttributeAsync("href", "/console/admin/templates");
        await Expect(list.Locator("[data-step=channels]")).ToContainTextAsync("SMS: not set up");
        await Expect(list.Locator("[data-step=network]")).ToHaveAttributeAsync("data-done", "false");

        await page.GetByLabel("Network name").FillAsync("Northside Rapid Response");
        await page.GetByLabel("Time zone (for example America/Chicago)").FillAsync("Nowhere/Atlantis");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("#network-zone-error")).Not.ToBeEmptyAsync();
        await page.GetByLabel("Time zone (for example America/Chicago)").FillAsync("America/Chicago");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(list.Locator("[data-step=network]")).ToHaveAttributeAsync("data-done", "true");
        violations = await BrowserFixture.SeriousAccessibilityViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        await BrowserFixture.ScreenshotAsync(page, "console-first-run-phone");

        // The templates page, reached from the checklist: grouped by purpose, explained, names instead of keys.
        await list.Locator("[data-step=templates] a").ClickAsync();
        await page.WaitForURLAsync("**/console/admin/templates");
        var retraction = page.Locator("#templates [data-group=retraction]");
        await Expect(retraction.Locator("h2")).ToHaveTextAsync("Retraction (false alarm)");
        await Expect(retraction).ToContainTextAsync("when it turned out to be wrong");
        await Expect(retraction.GetByLabel("The retraction")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^FALSE ALARM"));
        await Expect(page.Locator("#templates [data-group=other]")).ToHaveCountAsync(0);
        await page.GetByLabel("Language of the templates").SelectOptionAsync("so");
        await Expect(page.Locator("#tpl-pending")).Not.ToContainTextAsync(": 0");
        await Expect(page.Locator("#templates [data-group=words]")).ToContainTextAsync("What was seen: Checkpoint");
        violations = await BrowserFixture.SeriousAccessibilityViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
