using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Subscriptions;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 12, section 2, the two-person rule as the dispatchers see it: A sends above N and the page says it waits for a
/// second dispatcher (nothing sent); B opens the sighting, sees the summary A saw (recipients per channel and language,
/// the words) behind the same typed confirmation, approves, and the progress shows.
/// </summary>
public sealed class TwoPersonPageTests(TypedConfirmationFixture browser) : IClassFixture<TypedConfirmationFixture>
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

    private async Task<int> DeliveriesAsync(Guid sighting)
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        // The recipients queued for delivery: the fan-outs' orders (delivery rows are created as a lane claims them).
        var ids = await db.Alerts.Where(a => a.SightingId == sighting).Select(a => a.Id).ToListAsync();
        return await db.Fanouts.Where(f => ids.Contains(f.AlertId)).SumAsync(f => f.Total);
    }

    [Fact]
    public async Task A_sends_above_N_and_waits_B_sees_the_same_summary_approves_and_the_progress_shows()
    {
        var (_, _, admin) = await StaffAsync(Roles.Admin);
        (await admin.PutAsJsonAsync("/api/v1/admin/two-person", new { enabled = true, above = 2 })).EnsureSuccessStatusCode();
        var (emailA, passwordA, dispatcherA) = await StaffAsync(Roles.Dispatcher);
        var (emailB, passwordB, _) = await StaffAsync(Roles.Dispatcher);
        var (_, _, verifier) = await StaffAsync(Roles.Verifier);
        await Seed.SubscribersAsync(browser.App, 3, 44.7700, -93.2000, SubscriberChannel.Sms, first: 9100, language: "es");
        using var anonymous = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var report = await anonymous.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = 44.7700, lon = -93.2000, agents = 2, agency = "ice", channel = "web" });
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
        await WhistleApp.SendAsync(dispatcherA, verifier, sighting);
        (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).EnsureSuccessStatusCode();

        // A sends: the page says it waits for a second dispatcher; nothing went out; A has no "approve".
        var a = await DeskAsync(emailA, passwordA, sighting);
        await Expect(a.Locator("#recipients")).ToHaveTextAsync("3");
        await a.GetByRole(AriaRole.Button, new() { Name = "Send alert…" }).ClickAsync();
        await a.Locator("#confirm-typed").FillAsync("3");
        await a.GetByRole(AriaRole.Button, new() { Name = "Send now" }).ClickAsync();
        await Expect(a.Locator("#approval-waiting")).ToBeVisibleAsync();
        await Expect(a.Locator("#approval-waiting")).ToContainTextAsync("Waiting for a second dispatcher's approval");
        await Expect(a.Locator("#approve")).ToBeHiddenAsync();
        await Expect(a.Locator("#send")).ToBeHiddenAsync();
        Assert.Equal(0, await DeliveriesAsync(sighting));

        // B opens the sighting: who wrote it and for how many; "Review and approve…" shows A's summary, count typed.
        var b = await DeskAsync(emailB, passwordB, sighting);
        await Expect(b.Locator("#approval-ask")).ToBeVisibleAsync();
        await Expect(b.Locator("#approval-author")).ToHaveTextAsync(emailA);
        await Expect(b.Locator("#approval-recipients")).ToHaveTextAsync("3");
        await b.GetByRole(AriaRole.Button, new() { Name = "Review and approve…" }).ClickAsync();
        var dialog = b.Locator("dialog#confirm");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(b.Locator("#confirm-area")).ToContainTextAsync("1,000 m around 44.77");
        await Expect(b.Locator("#confirm-recipients tr[data-channel=sms][data-lang=es]")).ToContainTextAsync("3");
        await Expect(b.Locator("#confirm-messages li[data-lang=es]")).ToBeVisibleAsync();
        var send = dialog.GetByRole(AriaRole.Button, new() { Name = "Send now" });
        await Expect(send).ToBeDisabledAsync();
        await b.Locator("#confirm-typed").FillAsync("3");
        await send.ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(b.Locator("#progress")).ToHaveAttributeAsync("data-done", "true", new() { Timeout = 15_000 });
        await Expect(b.Locator("#approval")).ToBeHiddenAsync();
        Assert.Equal(3, await DeliveriesAsync(sighting));
    }
}
