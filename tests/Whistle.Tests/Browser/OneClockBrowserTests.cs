using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Network;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 12 §4, one clock. Seen: the console showed a report at 02:55 PM while the alert text said 8:55 AM, and the home
/// card said "hasta 12:58" above "hasta 18:58". Now a browser in Tokyo sees the network's (Chicago's) time, named, in the
/// console's report, in the alert text and on the home card alike.
/// </summary>
public sealed class OneClockBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Tokyo = "Asia/Tokyo";

    private async Task<TimeZoneInfo> NetworkZoneAsync()
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        return await NetworkLookup.TimeZoneAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), default);
    }

    /// <summary>"8:55" and "CST" in the network's zone; "23:55"-style hours in Tokyo's, which must not appear.</summary>
    private static (string HourMinute, string Abbreviation, string TokyoHourMinute) Expected(DateTimeOffset t, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(t, zone);
        var tokyo = TimeZoneInfo.ConvertTime(t, TimeZoneInfo.FindSystemTimeZoneById(Tokyo));
        return (local.ToString("h:mm", System.Globalization.CultureInfo.InvariantCulture), Clock.Abbreviation(t, zone),
            tokyo.ToString("h:mm", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task In_a_browser_in_Tokyo_the_console_report_time_the_alert_text_and_the_home_card_all_show_the_network_s_time()
    {
        var zone = await NetworkZoneAsync();
        Assert.NotEqual(TimeZoneInfo.FindSystemTimeZoneById(Tokyo).BaseUtcOffset, zone.BaseUtcOffset);

        var email = $"dispatcher-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Dispatcher, password)).Succeeded);
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var res = await http.PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = 44.9400, lon = -93.2600, channel = "web" });
        var sightingId = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
        DateTimeOffset reportAt;
        await using (var scope = browser.App.Services.CreateAsyncScope())
            reportAt = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Sightings.AsNoTracking()
                .Where(s => s.Id == sightingId).Select(s => s.LastReportAt).SingleAsync();
        var report = Expected(reportAt, zone);

        var desk = await browser.NewPageAsync(BrowserFixture.Desktop, timezoneId: Tokyo);
        // The browser really is in Tokyo.
        Assert.Equal(Tokyo, await desk.EvaluateAsync<string>("Intl.DateTimeFormat().resolvedOptions().timeZone"));
        await desk.GotoAsync("/console/login");
        await desk.GetByLabel("E-mail address").FillAsync(email);
        await desk.GetByLabel("Password").FillAsync(password);
        await desk.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await desk.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");
        await desk.GotoAsync($"/console/sightings/{sightingId}");

        // The console's report time and the alert text the composer previews: the same clock, named.
        var reportTime = desk.Locator("#reports li .meta").First;
        await Expect(reportTime).ToContainTextAsync(report.HourMinute);
        await Expect(reportTime).ToContainTextAsync(report.Abbreviation);
        Assert.DoesNotContain(report.TokyoHourMinute + " ", await reportTime.TextContentAsync() ?? "");
        await desk.GetByLabel("Drill (labelled as a drill in every language)").CheckAsync();
        var english = desk.Locator("#messages li[data-lang=en] p");
        await Expect(english).ToContainTextAsync(report.HourMinute + " ");
        await Expect(english).ToContainTextAsync(report.Abbreviation);

        // The home card: server-rendered, then redrawn by the page's script from the live stream — both in the network's zone.
        var expires = DateTimeOffset.UtcNow.AddMinutes(90);
        expires = new DateTimeOffset(expires.Year, expires.Month, expires.Day, expires.Hour, expires.Minute, 0, TimeSpan.Zero);
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            db.Alerts.Add(new Alert
            {
                Kind = AlertKind.Alert, Activity = Reports.Activity.Patrol, Place = "Midtown Phillips", CircleLat = 44.94, CircleLon = -93.26,
                CircleRadiusMeters = 500, OriginLat = 44.94, OriginLon = -93.26, SentAt = DateTimeOffset.UtcNow, ExpiresAt = expires, SentBy = email,
                Seq = (await db.Alerts.MaxAsync(a => (long?)a.Seq) ?? 0) + 1,
                Messages = new() { ["en"] = "VERIFIED: patrol near Midtown Phillips.", ["es"] = "VERIFICADO: patrulla cerca de Midtown Phillips." },
            });
            await db.SaveChangesAsync();
        }
        var until = Expected(expires, zone);
        var home = await browser.NewPageAsync(BrowserFixture.Phone, locale: "es-US", timezoneId: Tokyo);
        await home.GotoAsync("/?lang=es");
        var card = home.Locator("#alerts li", new() { HasText = "Midtown Phillips" }).First;
        await Expect(card).ToContainTextAsync(until.Abbreviation);
        var text = await card.TextContentAsync() ?? "";
        // Spanish writes the hour without a leading zero (0:40, 9:05): match the network's hour as the card's culture writes it.
        var hour24 = TimeZoneInfo.ConvertTime(expires, zone).ToString("H:mm", System.Globalization.CultureInfo.InvariantCulture);
        var tokyo24 = TimeZoneInfo.ConvertTime(expires, TimeZoneInfo.FindSystemTimeZoneById(Tokyo)).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(text.Contains(hour24) || text.Contains(until.HourMinute), $"the card shows the network's time {hour24}: {text}");
        Assert.DoesNotContain(tokyo24, text);
        // And once the page's script has redrawn the card from the live stream (no <time> element then), still the same clock.
        var scripted = home.Locator("#alerts li", new() { HasText = "Midtown Phillips" }).Locator("span.when:not(:has(time))").First;
        await Expect(scripted).ToContainTextAsync(until.Abbreviation, new() { Timeout = 20_000 });
        var redrawn = await scripted.TextContentAsync() ?? "";
        Assert.True(redrawn.Contains(hour24) || redrawn.Contains(until.HourMinute), $"the redrawn card shows the network's time {hour24}: {redrawn}");
        Assert.DoesNotContain(tokyo24, redrawn);
    }
}

/// <summary>Issue 12 §4, date precision on the page. Seen: the demo incident's timeline read "3/15/2024, 5:00:00 AM" on every entry.</summary>
public sealed class TimelinePrecisionPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_demo_incident_timeline_shows_the_day_the_article_gives_and_no_time_of_day_even_in_Tokyo()
    {
        var email = $"documenter-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        Guid demo;
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Documenter, password)).Succeeded);
            demo = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Incidents.AsNoTracking()
                .Where(i => i.Title == Incidents.DemoIncident.Title).Select(i => i.Id).SingleAsync();
        }
        var page = await browser.NewPageAsync(BrowserFixture.Desktop, timezoneId: "Asia/Tokyo");
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/incidents"); // a documenter's start page
        await page.GotoAsync($"/console/incidents/{demo}");

        var rows = page.Locator("#timeline tr[data-id]");
        await Expect(rows.First).ToContainTextAsync("March 15, 2024");
        var texts = await rows.AllTextContentsAsync();
        Assert.True(texts.Count >= 10, $"{texts.Count} rows");
        Assert.All(texts, t =>
        {
            Assert.Contains("March 15, 2024", t);
            Assert.DoesNotContain("5:00", t);
            Assert.DoesNotContain("3/15/2024", t);
            Assert.DoesNotContain("March 16", t); // Tokyo's calendar is a day ahead: the network's day is shown
        });
    }
}
