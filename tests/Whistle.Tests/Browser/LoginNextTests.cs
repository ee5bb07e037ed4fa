using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 14 §6: <c>/console/login?next=…</c> takes a staff member only to a path on this site after login. Each value
/// is put into the query string as written here (already percent-encoded where it says so); every request the page
/// makes to another host is recorded and refused, so a redirect elsewhere fails the test even without a network.
/// </summary>
public sealed class LoginNextTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private async Task<(string Email, string Password)> AccountAsync(string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using var scope = browser.App.Services.CreateAsyncScope();
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password)).Succeeded);
        return (email, password);
    }

    /// <summary>Logs in with ?next=<paramref name="rawNext"/> and returns where the page ends and any other host it asked.</summary>
    private async Task<(string Url, List<string> Elsewhere)> LogInAsync(string rawNext, string landing)
    {
        var who = await AccountAsync(Roles.Dispatcher);
        var page = await browser.NewPageAsync();
        var origin = new Uri(browser.BaseUrl);
        var elsewhere = new ConcurrentQueue<string>();
        await page.Context.RouteAsync("**/*", async route =>
        {
            var url = route.Request.Url;
            if (Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && u.Authority == origin.Authority) await route.ContinueAsync();
            else { elsewhere.Enqueue(url); await route.AbortAsync(); }
        });
        await page.GotoAsync(browser.BaseUrl + "/console/login?next=" + rawNext, new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        try
        {
            await page.WaitForURLAsync(u => !elsewhere.IsEmpty || !u.StartsWith(browser.BaseUrl, StringComparison.Ordinal)
                || new Uri(u).AbsolutePath == landing, new() { WaitUntil = WaitUntilState.Commit, Timeout = 15_000 });
        }
        catch (TimeoutException) { }
        var result = (page.Url, elsewhere.ToList());
        // Closed once read (decision 0044): 22 logged-in console pages left open kept their live connections and
        // polling running in one Chromium, slowing every later case.
        await page.Context.CloseAsync();
        return result;
    }

    [Theory]
    [InlineData("/%5Cexample.org/x")]
    [InlineData("/%5cexample.org/x")]
    [InlineData("%5C%5Cexample.org/x")]
    [InlineData("/\\example.org")]
    [InlineData("//example.org")]
    [InlineData("///example.org")]
    [InlineData("/%2F%2Fexample.org")]
    [InlineData("%2F%2Fexample.org")]
    [InlineData("/%5C/example.org")]
    [InlineData("https://example.org")]
    [InlineData("https%3A%2F%2Fexample.org%2Fx")]
    [InlineData("https:example.org")]
    [InlineData("%0d%0a//example.org")]
    [InlineData("/%0d%0a/example.org")]
    [InlineData("%20//example.org")]
    [InlineData("/%09/example.org")]
    [InlineData("/%09%5Cexample.org")]
    [InlineData("javascript:alert(1)")]
    [InlineData("javascript%3Aalert(document.domain)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    public async Task A_crafted_next_never_leaves_this_site_after_login(string rawNext)
    {
        var (url, elsewhere) = await LogInAsync(rawNext, "/console");
        Assert.Empty(elsewhere);
        Assert.StartsWith(browser.BaseUrl + "/console", url);
        Assert.Equal("/console", new Uri(url).AbsolutePath);
    }

    [Theory]
    [InlineData("/console/incidents", "/console/incidents")]
    [InlineData("%2Fconsole%2Fincidents%3Fx%3D1", "/console/incidents")]
    public async Task A_next_that_is_a_path_on_this_site_is_followed(string rawNext, string landing)
    {
        var (url, elsewhere) = await LogInAsync(rawNext, landing);
        Assert.Empty(elsewhere);
        Assert.Equal(landing, new Uri(url).AbsolutePath);
        Assert.StartsWith(browser.BaseUrl, url);
    }
}
