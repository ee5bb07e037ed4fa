using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Federation;
using Whistle.Identity;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Browser;

/// <summary>A Whistle that follows one partner feed (served locally), with a browser.</summary>
public sealed class PartnerBrowserFixture : BrowserFixture, IAsyncLifetime
{
    public PartnerFeeds Feeds { get; private set; } = null!;

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Whistle:Federation:Enabled"] = "false",
        ["Whistle:Federation:Partners:0:Name"] = FederationTests.Northside,
        ["Whistle:Federation:Partners:0:FeedUrl"] = Feeds.Url + "/feeds/alerts.atom",
        ["Whistle:Federation:Partners:0:AllowPrivateNetwork"] = "true", // the fake partner is on loopback
    };

    async Task IAsyncLifetime.InitializeAsync()
    {
        Feeds = await PartnerFeeds.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Feeds.DisposeAsync();
    }
}

/// <summary>The dispatcher's partner page: feed health, the partners' alerts, and a relay behind a confirmation step.</summary>
public sealed class PartnersPageTests(PartnerBrowserFixture browser) : IClassFixture<PartnerBrowserFixture>
{
    [Fact]
    public async Task A_dispatcher_sees_a_partners_alert_and_relays_it_to_the_local_subscribers_in_its_area()
    {
        var now = DateTimeOffset.UtcNow;
        var sent = DateTimeOffset.FromUnixTimeSeconds(now.AddMinutes(-5).ToUnixTimeSeconds());
        browser.Feeds.Serve("/feeds/alerts.atom", Feed(FederationTests.Northside, new Entry("ns-ui-001",
            Message("ns-ui-001", FederationTests.Sender, sent, expires: now.AddHours(2),
                infos: [En("ICE checkpoint at Lake St and Bloomington Ave"), Es("Retén de ICE en Lake St y Bloomington Ave")]))));
        await browser.App.Services.GetRequiredService<FederationPoller>().RunOnceAsync(default);
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        const string inside = "+16125550166";
        await browser.App.SubscribeAsync(http, "sms", inside, "es", circle: new { lat = 44.9485, lon = -93.2555, radiusMeters = 500 });

        var email = $"dispatcher-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Dispatcher, password)).Succeeded);
        var page = await browser.NewPageAsync(BrowserFixture.Desktop);
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");
        await page.GetByRole(AriaRole.Link, new() { Name = "Partners" }).ClickAsync();
        await page.WaitForURLAsync("**/console/partners");

        await Expect(page.Locator("#feeds tr[data-partner]")).ToContainTextAsync(FederationTests.Northside);
        var card = page.Locator("#partner-alerts li[data-id]");
        await Expect(card).ToHaveCountAsync(1);
        await Expect(card).ToContainTextAsync("From Northside Rapid Response: ICE checkpoint at Lake St and Bloomington Ave");
        await BrowserFixture.ScreenshotAsync(page, "console-partners-desktop");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(page));

        // Relaying asks first; going back sends nothing.
        await card.GetByRole(AriaRole.Button, new() { Name = "Relay to our subscribers…" }).ClickAsync();
        await card.GetByRole(AriaRole.Button, new() { Name = "Go back" }).ClickAsync();
        Assert.DoesNotContain(browser.App.Outbox(), l => l.Recipient == inside && l.AlertId is not null);
        await card.GetByRole(AriaRole.Button, new() { Name = "Relay to our subscribers…" }).ClickAsync();
        await card.GetByRole(AriaRole.Button, new() { Name = "Relay now" }).ClickAsync();
        await Expect(card.Locator("[role=status]")).ToContainTextAsync("Relayed by you");
        await Expect(card.Locator("[role=status]")).ToContainTextAsync("Recipients: 1");
        var sms = await WhistleApp.EventuallyAsync(() => Task.FromResult(browser.App.Outbox().FirstOrDefault(l => l.Recipient == inside && l.AlertId is not null)),
            l => l is not null, "the relayed alert");
        Assert.Contains("Northside Rapid Response", sms!.Text);
        Assert.Contains("Retén de ICE", sms.Text);

        // Reloaded, the page says who relayed it and offers no second relay.
        await page.ReloadAsync();
        await Expect(card.Locator("[role=status]")).ToContainTextAsync("Relayed by " + email);
        await Expect(card.GetByRole(AriaRole.Button, new() { Name = "Relay" })).ToHaveCountAsync(0);

        var phone = await browser.NewPageAsync(BrowserFixture.Phone);
        await phone.GotoAsync("/console/login");
        await phone.GetByLabel("E-mail address").FillAsync(email);
        await phone.GetByLabel("Password").FillAsync(password);
        await phone.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await phone.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");
        await phone.GotoAsync("/console/partners");
        await Expect(phone.Locator("#partner-alerts li[data-id]")).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(phone, "console-partners-phone");
        Assert.Empty(await BrowserFixture.SeriousAccessibilityViolationsAsync(phone));
    }
}
