using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Data;
using Whistle.Identity;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// The console's alert composer: a reporter's words stay staff-only text, and a dispatcher's words that look like
/// they identify an officer are held back with a warning until "send anyway" and a reason, which is recorded.
/// </summary>
public sealed class AlertComposerTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_composer_warns_about_officer_identifying_words_and_sends_them_only_with_a_recorded_reason()
    {
        var email = $"dispatcher-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Dispatcher, password)).Succeeded);
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        const string hostile = "<img src=x onerror=alert(1)> officer Smith badge 4521";
        var res = await http.PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = 44.9300, lon = -93.3000, placeText = hostile, channel = "web" });
        var sightingId = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();

        var desk = await browser.NewPageAsync(BrowserFixture.Desktop);
        await desk.GotoAsync("/console/login");
        await desk.GetByLabel("E-mail address").FillAsync(email);
        await desk.GetByLabel("Password").FillAsync(password);
        await desk.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await desk.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");
        await desk.GotoAsync($"/console/sightings/{sightingId}");
        await desk.GetByLabel("Drill (labelled as a drill in every language)").CheckAsync();

        // The reporter's words: text for staff, never in the alert the composer previews.
        await Expect(desk.Locator("#s-title")).ToContainTextAsync("<img src=x");
        await Expect(desk.Locator("#messages li[data-lang=en]")).ToContainTextAsync("DRILL - TEST ONLY");
        await Expect(desk.Locator("#messages")).Not.ToContainTextAsync("Smith");
        await Expect(desk.Locator("#officer-warning")).ToBeHiddenAsync();

        // The dispatcher types identifying words: the warning names them and nothing can be sent.
        await desk.GetByLabel("Public place name (optional, coarse)").FillAsync("Lake St, officer Smith badge 4521");
        await Expect(desk.Locator("#officer-warning")).ToBeVisibleAsync();
        await Expect(desk.Locator("#officer-findings")).ToContainTextAsync("badge number: “badge 4521”");
        await Expect(desk.Locator("#officer-findings")).ToContainTextAsync("officer's name: “officer Smith”");
        await desk.GetByRole(AriaRole.Button, new() { Name = "Send alert…" }).ClickAsync();
        await Expect(desk.Locator("#confirm")).ToBeHiddenAsync();

        // Send anyway, with a reason: the preview shows the words, the alert goes, and the reason is on the record.
        const string why = "The sheriff's office published this badge number itself.";
        await desk.GetByLabel("Send these words anyway").CheckAsync();
        await desk.GetByLabel("Why they must go out as written").FillAsync(why);
        await Expect(desk.Locator("#messages li[data-lang=en]")).ToContainTextAsync("officer Smith badge 4521");
        await desk.GetByRole(AriaRole.Button, new() { Name = "Send alert…" }).ClickAsync();
        await desk.GetByRole(AriaRole.Button, new() { Name = "Send now" }).ClickAsync();
        await Expect(desk.Locator("#sent")).ToBeVisibleAsync();
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var alert = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Alerts.AsNoTracking().SingleAsync(a => a.SightingId == sightingId);
            Assert.Equal(why, alert.OverrideReason);
            Assert.Equal(email, alert.SentBy);
            Assert.Contains("badge 4521", alert.OverrideFindings);
        }
        Assert.Equal(0, await desk.Locator("img[src=x]").CountAsync());
    }
}
