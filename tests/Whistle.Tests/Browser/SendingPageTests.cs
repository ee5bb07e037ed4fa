using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;
using Whistle.Subscriptions;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>A Whistle whose network asks for the typed count above two recipients.</summary>
public sealed class TypedConfirmationFixture : BrowserFixture
{
    protected override Dictionary<string, string?> Settings => new() { ["Whistle:Alerts:TypedConfirmationAbove"] = "2" };
}

/// <summary>
/// Issue 12, section 2, as the dispatcher sees it: the send dialog says what will happen and has "Go back" focused;
/// a large alert needs its count typed; after sending "Send alert…" is gone (also after a reload, from the API);
/// all clear asks first, naming the count; on a closed sighting the actions that no longer apply are gone.
/// </summary>
public sealed class SendingPageTests(TypedConfirmationFixture browser) : IClassFixture<TypedConfirmationFixture>
{
    private async Task<(string Email, string Password, HttpClient Api)> StaffAsync(string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password)).Succeeded);
        var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>());
        return (email, password, http);
    }

    private async Task<Guid> ConfirmedAsync(HttpClient dispatcher, HttpClient verifier, double lat, double lon)
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var res = await anonymous.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon, agents = 2, agency = "ice", channel = "web" });
        var sighting = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);
        (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).EnsureSuccessStatusCode();
        return sighting;
    }

    private async Task<IPage> DeskAsync(string email, string password, Guid sighting)
    {
        var desk = await browser.NewPageAsync(BrowserFixture.Desktop);
        await desk.GotoAsync("/console/login");
        await desk.GetByLabel("E-mail address").FillAsync(email);
        await desk.GetByLabel("Password").FillAsync(password);
        await desk.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await desk.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");
        await desk.GotoAsync($"/console/sightings/{sighting}");
        return desk;
    }

    private static Task<string> FocusedAsync(IPage page) => page.EvaluateAsync<string>("() => document.activeElement && document.activeElement.id");

    [Fact]
    public async Task Sending_names_what_goes_where_needs_the_count_typed_happens_once_and_all_clear_asks_with_the_count()
    {
        var (email, password, dispatcher) = await StaffAsync(Roles.Dispatcher);
        var (_, _, verifier) = await StaffAsync(Roles.Verifier);
        await Seed.SubscribersAsync(browser.App, 2, 44.8800, -93.1000, SubscriberChannel.Sms, first: 8100, language: "es");
        await Seed.SubscribersAsync(browser.App, 1, 44.8800, -93.1000, SubscriberChannel.Sms, first: 8200, language: "so");
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.8800, -93.1000);
        var desk = await DeskAsync(email, password, sighting);
        await Expect(desk.Locator("#recipients")).ToHaveTextAsync("3");

        // The dialog: the area, recipients per channel and language, the words; "Go back" focused, not "Send now".
        await desk.GetByRole(AriaRole.Button, new() { Name = "Send alert…" }).ClickAsync();
        var dialog = desk.Locator("dialog#confirm");
        await Expect(dialog).ToBeVisibleAsync();
        Assert.Equal("confirm-no", await FocusedAsync(desk));
        await Expect(desk.Locator("#confirm-area")).ToContainTextAsync("1,000 m around 44.88");
        await Expect(desk.Locator("#confirm-recipients tr[data-channel=sms][data-lang=es]")).ToContainTextAsync("2");
        await Expect(desk.Locator("#confirm-recipients tr[data-channel=sms][data-lang=so]")).ToContainTextAsync("1");
        await Expect(desk.Locator("#confirm-messages li[data-lang=hmn]")).ToBeVisibleAsync();

        // Above the network's size the count must be typed before "Send now" enables.
        var send = dialog.GetByRole(AriaRole.Button, new() { Name = "Send now" });
        await Expect(send).ToBeDisabledAsync();
        await dialog.GetByLabel("This alert goes to 3 people. To send it, type 3:").FillAsync("2");
        await Expect(send).ToBeDisabledAsync();
        await dialog.GetByLabel("This alert goes to 3 people. To send it, type 3:").FillAsync("3");
        await Expect(send).ToBeEnabledAsync();
        await send.ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(desk.Locator("#progress")).ToHaveAttributeAsync("data-done", "true", new() { Timeout = 15_000 });

        // The Seen: "Send alert…" stayed and sent a second alert. Now it is gone, and says why — also after a reload
        // with the page's memory of it wiped (the page learns the live alert from the API).
        await Expect(desk.Locator("#send")).ToBeHiddenAsync();
        await Expect(desk.Locator("#send-blocked")).ToContainTextAsync("already has an active alert");
        await desk.EvaluateAsync("() => Object.keys(sessionStorage).filter(k => k.startsWith('whistle.alert.')).forEach(k => sessionStorage.removeItem(k))");
        await desk.ReloadAsync();
        await Expect(desk.Locator("#sent")).ToBeVisibleAsync();
        await Expect(desk.Locator("#send")).ToBeHiddenAsync();
        await Expect(desk.Locator("#progress")).ToHaveAttributeAsync("data-done", "true", new() { Timeout = 15_000 });

        // The Seen: all clear went to everyone with one click. Now it asks, naming the count, with "Cancel" focused.
        await desk.GetByRole(AriaRole.Button, new() { Name = "All clear" }).ClickAsync();
        var follow = desk.Locator("dialog#followup-confirm");
        await Expect(follow).ToBeVisibleAsync();
        await Expect(desk.Locator("#followup-question")).ToHaveTextAsync("Send an all clear to 3 people?");
        Assert.Equal("followup-no", await FocusedAsync(desk));
        await follow.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(follow).ToBeHiddenAsync();
        Assert.Equal(3, browser.App.Outbox().Count(l => l.Recipient.StartsWith("+161255581") || l.Recipient.StartsWith("+161255582")));

        await desk.GetByRole(AriaRole.Button, new() { Name = "All clear" }).ClickAsync();
        await follow.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(desk.Locator("#sent-status")).ToContainTextAsync("All clear · Sent (3)");
        await Expect(desk.Locator("#s-state")).ToHaveTextAsync("resolved");
        // Nothing left to do with this alert or this sighting: the buttons are gone.
        await Expect(desk.Locator("#update")).ToBeHiddenAsync();
        await Expect(desk.Locator("#all-clear")).ToBeHiddenAsync();
        await Expect(desk.Locator("#false-alarm")).ToBeHiddenAsync();
        await Expect(desk.Locator("#send")).ToBeHiddenAsync();
        await Expect(desk.Locator("#send-blocked")).ToContainTextAsync("closed");
    }

    [Fact]
    public async Task On_a_resolved_sighting_send_and_update_are_gone_and_only_the_all_clear_for_its_live_alert_remains()
    {
        var (email, password, dispatcher) = await StaffAsync(Roles.Dispatcher);
        var (_, _, verifier) = await StaffAsync(Roles.Verifier);
        var sighting = await ConfirmedAsync(dispatcher, verifier, 44.7700, -93.0000);
        (await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = new { lat = 44.77, lon = -93.0, radiusMeters = 500 } }))
            .EnsureSuccessStatusCode();
        (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/resolve", new { note = "left" })).EnsureSuccessStatusCode();

        var desk = await DeskAsync(email, password, sighting);
        await Expect(desk.Locator("#s-state")).ToHaveTextAsync("resolved");
        await Expect(desk.Locator("#sent")).ToBeVisibleAsync();
        await Expect(desk.Locator("#send")).ToBeHiddenAsync();
        await Expect(desk.Locator("#update")).ToBeHiddenAsync();
        await Expect(desk.Locator("#all-clear")).ToBeVisibleAsync();
        await Expect(desk.Locator("#false-alarm")).ToBeVisibleAsync();
    }
}
