using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>A Whistle on a real loopback port behind a "proxy" on loopback, with the shipped intake budgets.</summary>
public sealed class IntakeBrowserFixture : BrowserFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Whistle:RateLimits:ReportsPerMinute"] = "30",
        // Only the area budget is at play here (the API tests cover the network-wide one).
        ["Whistle:Intake:NetworkPerMinute"] = "1000",
        ["Whistle:Intake:AreaPerMinute"] = "15",
        ["Whistle:TrustedProxies"] = "127.0.0.1",
    };
}

/// <summary>The console's queue under a flood (surge card, pages, sources) and a trusted reporter's link, in Chromium.</summary>
public sealed class IntakePagesTests(IntakeBrowserFixture browser) : IClassFixture<IntakeBrowserFixture>
{
    private HttpClient From(string address)
    {
        var c = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        c.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return c;
    }

    private async Task<(string Email, string Password)> StaffAsync(string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using var scope = browser.App.Services.CreateAsyncScope();
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password)).Succeeded);
        return (email, password);
    }

    [Fact]
    public async Task The_dispatcher_sees_a_flood_as_one_surge_card_pages_through_the_queue_and_promotes_and_dismisses()
    {
        // 55 real-looking sightings from 55 networks, far apart: more than one page.
        for (int i = 0; i < 55; i++)
            Assert.True((await From($"198.18.{i}.1").PostAsJsonAsync("/api/v1/reports",
                new { activity = "patrol", lat = 44.7 + (i / 8) * 0.05, lon = -94.0 + (i % 8) * 0.05 })).IsSuccessStatusCode);
        // A flood at one corner from two networks: 15 reach the queue (one sighting), the rest are held.
        for (int a = 0; a < 2; a++)
            for (int i = 0; i < 12; i++)
                Assert.True((await From($"203.0.{a}.9").PostAsJsonAsync("/api/v1/reports",
                    new { activity = "checkpoint", lat = 44.9485 + i * 0.0001, lon = -93.2555, placeText = "Lake St & 29th" })).IsSuccessStatusCode);

        var who = await StaffAsync(Roles.Dispatcher);
        var page = await browser.NewPageAsync(BrowserFixture.Desktop);
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");

        // The surge heads the queue as one card; the flooded corner's sighting says how few sources it has.
        var surge = page.Locator("#queue > li.surge");
        await Expect(surge).ToHaveCountAsync(1);
        await Expect(page.Locator("#queue > li").First).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("surge"));
        await Expect(surge.Locator("strong")).ToContainTextAsync("Surge: 9 reports from 1 source "); // plural-correct (issue 12 §6)
        await Expect(surge.Locator("strong")).ToContainTextAsync("Lake St & 29th");
        await Expect(page.Locator("#queue > li.card:not(.surge)").Filter(new() { HasText = "15 reports" }).Filter(new() { HasText = "2 sources" })).ToHaveCountAsync(1);

        // The first page holds 50 sightings; "Load more" brings the rest — nothing is cut off.
        await Expect(page.Locator("#queue > li.card:not(.surge)")).ToHaveCountAsync(50);
        var open = (await Api.WhistleApp.QueueAsync(await browser.App.StaffAsync("dispatcher"))).Count;
        Assert.InRange(open, 56, 57);
        await page.GetByRole(AriaRole.Button, new() { Name = "Load more" }).ClickAsync();
        await Expect(page.Locator("#queue > li.card:not(.surge)")).ToHaveCountAsync(open);
        await BrowserFixture.ScreenshotAsync(page, "console-queue-surge");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // Opened: its reports, each of which can be made a sighting; then the surge is dismissed.
        await surge.Locator("summary").ClickAsync();
        await Expect(surge.Locator("ol.merged > li")).ToHaveCountAsync(9);
        await surge.GetByRole(AriaRole.Button, new() { Name = "Make it a sighting" }).First.ClickAsync();
        await Expect(surge.Locator("ol.merged > li").First).ToContainTextAsync("In the queue");
        await surge.GetByRole(AriaRole.Button, new() { Name = "Dismiss the surge" }).ClickAsync();
        await Expect(page.Locator("#queue > li.surge")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_volunteers_personal_link_files_trusted_reports_and_leaves_the_address_bar_at_once()
    {
        var dispatcher = await browser.App.StaffAsync("dispatcher");
        var created = (await (await dispatcher.PostAsJsonAsync("/api/v1/reporters", new { name = "Ana" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var link = new Uri(created["link"]!.GetValue<string>());

        var page = await browser.NewPageAsync(BrowserFixture.Phone);
        await page.GotoAsync(link.PathAndQuery);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Report what you see");
        Assert.DoesNotContain("t=", new Uri(page.Url).Query);

        var place = "Trusted corner " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByText("Checkpoint").First.ClickAsync();
        await page.GetByLabel("Street, corner or landmark").FillAsync(place);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send report" }).ClickAsync();
        await Expect(page.Locator("#done-title")).ToBeVisibleAsync();

        var sighting = (await Api.WhistleApp.QueueAsync(dispatcher)).Single(s => (string?)s["placeText"] == place);
        Assert.True((bool)sighting["trusted"]!);
    }
}
