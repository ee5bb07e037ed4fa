using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;
using Whistle.Tests.Api;

namespace Whistle.Tests.Browser;

/// <summary>
/// Second factors in a real browser: an authenticator app (codes computed here as the app would) and a passkey made by
/// Chromium's virtual authenticator (CDP WebAuthn), each set up on the account page and then used to log in.
/// </summary>
public sealed class AccountPagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private async Task<(string Email, string Password)> AccountAsync(string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using var scope = browser.App.Services.CreateAsyncScope();
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password)).Succeeded);
        return (email, password);
    }

    private static async Task PasswordAsync(IPage page, string origin, (string Email, string Password) who)
    {
        await page.GotoAsync(origin + "/console/login", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
    }

    private static async Task LogOutAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/login");
    }

    [Fact]
    public async Task A_dispatcher_sets_up_an_authenticator_app_and_then_logs_in_with_its_code()
    {
        var who = await AccountAsync("dispatcher");
        var page = await browser.NewPageAsync();
        await PasswordAsync(page, browser.BaseUrl, who);
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");

        await page.GetByRole(AriaRole.Link, new() { Name = "My account" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Set up an authenticator app" }).ClickAsync();
        await Assertions.Expect(page.Locator("#totp-key")).Not.ToBeEmptyAsync();
        var key = Regex.Replace(await page.Locator("#totp-key").TextContentAsync() ?? "", @"\s", "");
        Assert.Matches("^[A-Z2-7]{16,}$", key);
        await page.Locator("#totp-code").FillAsync(Totp.Code(key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
        await Assertions.Expect(page.Locator("#recovery-codes li")).ToHaveCountAsync(10);
        await Assertions.Expect(page.Locator("#totp-status")).ToContainTextAsync("On");
        await BrowserFixture.ScreenshotAsync(page, "account-totp");

        // Log out (the session ends on the server), then the password alone is not enough: the page asks for the code.
        await LogOutAsync(page);
        await PasswordAsync(page, browser.BaseUrl, who);
        await Assertions.Expect(page.Locator("#code")).ToBeVisibleAsync();
        Assert.Equal("/console/login", new Uri(page.Url).AbsolutePath);
        var code = Totp.Code(key);
        await page.Locator("#code").FillAsync(code);
        Assert.Equal(code, await page.Locator("#code").InputValueAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        try
        {
            await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Still at {page.Url}; the page says: {await page.Locator("[data-error-general]").TextContentAsync()}");
        }
        // The session page lists this device.
        await page.GotoAsync("/console/account", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await Assertions.Expect(page.Locator("#session-list")).ToContainTextAsync("(this device)");
    }

    [Theory]
    [InlineData("/\\evil.example/phish")]
    [InlineData("//evil.example/phish")]
    [InlineData("https://evil.example/phish")]
    [InlineData("/\t/evil.example")]
    public async Task A_crafted_next_link_never_sends_a_dispatcher_off_the_site_after_login(string next)
    {
        var who = await AccountAsync("dispatcher");
        var page = await browser.NewPageAsync();
        await page.GotoAsync(browser.BaseUrl + "/console/login?next=" + Uri.EscapeDataString(next), new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console" || !u.StartsWith(browser.BaseUrl, StringComparison.Ordinal));
        Assert.StartsWith(browser.BaseUrl + "/console", page.Url);
    }

    [Fact]
    public async Task A_verifier_registers_a_passkey_and_then_logs_in_with_it_alone()
    {
        var who = await AccountAsync("verifier");
        // WebAuthn needs a domain, not an IP: the same server as http://localhost:port (the relying party "localhost").
        var origin = browser.BaseUrl.Replace("127.0.0.1", "localhost");
        var page = await browser.NewPageAsync();
        // The origin's first page, then the virtual authenticator for it.
        await page.GotoAsync(origin + "/console/login", new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable");
        await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true, ["hasUserVerification"] = true,
                ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        });

        await PasswordAsync(page, origin, who);
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/verify");
        await page.GotoAsync(origin + "/console/account", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Assertions.Expect(page.Locator("#passkey-list li")).ToHaveCountAsync(1);
        Assert.Equal("", await page.Locator("#account-error").TextContentAsync());

        await LogOutAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use a passkey instead" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/verify");
        await page.GotoAsync(origin + "/console/account", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await Assertions.Expect(page.Locator("#session-list")).ToContainTextAsync("(this device)");
    }
}
