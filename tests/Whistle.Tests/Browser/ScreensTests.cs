using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Tests.Api;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 12 §6, the dispatcher's and verifier's screens in Chromium: no sideways scrolling at 360 px or 1366 px on the
/// sighting page, the queue and the verifier page, with the map above the forms; plural-correct, neighbourhood-first
/// cards; the verifier's card says what is needed to go and look; "Enable sound" when autoplay is blocked; the roster live.
/// </summary>
public sealed class ScreensTests(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private const int MidtownPhillips = 86;

    // The machine the tests run on is shared: give the page time (polling, not sleeping).
    static ScreensTests() => SetDefaultExpectTimeout(20_000);

    private sealed record Staff(string Email, string Password, HttpClient Api, JsonObject Tokens, string[] Roles);

    private async Task<Staff> StaffAsync(string role, string? name = null)
    {
        var email = $"{name ?? role}-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password)).Succeeded);
        var api = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var login = await api.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        var tokens = (await login.Content.ReadFromJsonAsync<JsonObject>())!;
        api.DefaultRequestHeaders.Authorization = new("Bearer", tokens["accessToken"]!.GetValue<string>());
        var me = (await api.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!;
        return new Staff(email, password, api, tokens, me["roles"]!.AsArray().Select(r => r!.GetValue<string>()).ToArray());
    }

    /// <summary>A page already holding the staff member's session (as the login page leaves it), opened without any click.</summary>
    private static async Task<IPage> SignedInAsync(IBrowser chromium, string baseUrl, Staff who, ViewportSize size, string? initScript = null)
    {
        var context = await chromium.NewContextAsync(new() { BaseURL = baseUrl, ViewportSize = size, Locale = "en-US" });
        var session = JsonSerializer.Serialize(new
        {
            token = who.Tokens["accessToken"]!.GetValue<string>(),
            refresh = who.Tokens["refreshToken"]!.GetValue<string>(),
            expiresIn = who.Tokens["expiresIn"]!.GetValue<int>(),
            roles = JsonSerializer.Serialize(who.Roles),
        });
        await context.AddInitScriptAsync($$"""
            (() => { const s = {{session}};
              if (!sessionStorage.getItem("whistle.token")) {
                sessionStorage.setItem("whistle.token", s.token); sessionStorage.setItem("whistle.refresh", s.refresh);
                sessionStorage.setItem("whistle.expires", String(Date.now() + s.expiresIn * 1000)); sessionStorage.setItem("whistle.roles", s.roles);
              } })();
            """);
        if (initScript is not null) await context.AddInitScriptAsync(initScript);
        return await context.NewPageAsync();
    }

    private string ZoneName(int zone) => browser.App.Services.GetRequiredService<ZoneRegistry>().Current.Get(zone).Name;

    private GeoPoint Inside(int zone) => browser.App.Services.GetRequiredService<ZoneRegistry>().Current.Get(zone).Label;

    private async Task<Guid> ReportAsync(object body)
    {
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var res = await http.PostAsJsonAsync("/api/v1/reports", body);
        res.EnsureSuccessStatusCode();
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
    }

    private static async Task NoSidewaysScrollAsync(IPage page, string what)
    {
        var sizes = await page.EvaluateAsync<int[]>("() => [document.scrollingElement.scrollWidth, window.innerWidth]");
        var (scroll, inner) = (sizes[0], sizes[1]);
        if (scroll <= inner) return;
        var wide = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))");
        Assert.Fail($"{what}: scrollWidth {scroll} > innerWidth {inner}; too wide: {string.Join(" | ", wide)}");
    }

    private static async Task<int> Int(IPage page, string js) => await page.EvaluateAsync<int>(js);

    [Theory]
    [InlineData(360, 740)]
    [InlineData(1366, 768)]
    public async Task The_sighting_page_the_queue_and_the_verifier_page_fit_the_screen_with_the_map_above_the_forms(int width, int height)
    {
        var size = new ViewportSize { Width = width, Height = height };
        var dispatcher = await StaffAsync(Roles.Dispatcher);
        var verifier = await StaffAsync(Roles.Verifier, "a-verifier-with-a-rather-long-address-for-a-phone");
        (await verifier.Api.PutAsJsonAsync("/api/v1/roster/me", new { onDuty = true, homeZoneId = MidtownPhillips })).EnsureSuccessStatusCode();
        // Each size in its own neighbourhood: reports a few hundred metres apart would merge into one sighting.
        int zone = width < 900 ? MidtownPhillips : 1;
        var at = Inside(zone);
        var id = await ReportAsync(new
        {
            activity = "checkpoint", lat = at.Lat, lon = at.Lon, agents = 4, vehicles = 1, agency = "ice",
            placeText = "Outside the Lake Street Laundromat next to the long bus shelter on the corner", channel = "web",
        });
        (await dispatcher.Api.PostAsJsonAsync($"/api/v1/sightings/{id}/dispatch",
            new { note = "Go quietly, park on 15th", verifierIds = new[] { (await verifier.Api.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!["id"]!.GetValue<string>() } }))
            .EnsureSuccessStatusCode();

        // The queue: neighbourhood first, "1 report" (not "1 reports"), the place text under it.
        var queue = await SignedInAsync(browser.Browser, browser.BaseUrl, dispatcher, size);
        await queue.GotoAsync("/console");
        var card = queue.Locator($"#queue li[data-id='{id}']");
        await Expect(card.GetByRole(AriaRole.Link)).ToHaveTextAsync(ZoneName(zone) + " · Checkpoint · 1 report");
        await Expect(card).ToContainTextAsync("Outside the Lake Street Laundromat");
        await Expect(card).ToContainTextAsync("1 source");
        await NoSidewaysScrollAsync(queue, $"queue at {width}px");
        await BrowserFixture.ScreenshotAsync(queue, $"screens-queue-{width}");

        // The sighting page: the map on top, status and the next action beside (or under) it, history folded.
        var page = await SignedInAsync(browser.Browser, browser.BaseUrl, dispatcher, size);
        await page.GotoAsync($"/console/sightings/{id}");
        await Expect(page.Locator("#s-state")).ToHaveTextAsync("verifying");
        await Expect(page.Locator("#roster tr", new() { HasText = verifier.Email })).ToContainTextAsync("sent");
        await Expect(page.Locator("#s-next-text")).ToHaveTextAsync("Wait for a verifier to confirm, or record the outcome yourself.");
        await Expect(page.Locator("#s-summary")).ToContainTextAsync(ZoneName(zone));
        await Expect(page.Locator("#sighting-map path.leaflet-interactive")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#resolve")).ToBeHiddenAsync(); // not the next action while verifying
        Assert.False(await page.Locator("details.history-box").GetAttributeAsync("open") is not null);
        int mapTop = await Int(page, "() => document.getElementById('sighting-map').getBoundingClientRect().top");
        foreach (var form in new[] { "#dispatch", "#outcome", "#alert-form" })
        {
            int top = await Int(page, $"() => document.querySelector('{form}').getBoundingClientRect().top");
            int mapBottom = await Int(page, "() => document.getElementById('sighting-map').getBoundingClientRect().bottom");
            Assert.True(mapTop < top, $"{form} ({top}) above the map ({mapTop}) at {width}px");
            if (width < 900) Assert.True(mapBottom <= top, $"{form} overlaps the map at {width}px");
        }
        await NoSidewaysScrollAsync(page, $"sighting page at {width}px");
        int docHeight = await Int(page, "() => document.scrollingElement.scrollHeight");
        output.WriteLine($"sighting page document height at {width}x{height}: {docHeight}px");
        await BrowserFixture.ScreenshotAsync(page, $"screens-sighting-{width}");

        // The verifier's page: everything needed to go and look, on the card.
        var phone = await SignedInAsync(browser.Browser, browser.BaseUrl, verifier, size);
        await phone.GotoAsync("/console/verify");
        var mine = phone.Locator($"#assignments li[data-id='{id}']");
        await Expect(mine.Locator("h2")).ToHaveTextAsync(ZoneName(zone) + " · Checkpoint · 1 report");
        await Expect(mine).ToContainTextAsync("Outside the Lake Street Laundromat");
        await Expect(mine).ToContainTextAsync("1 report · 1 source");
        await Expect(mine).ToContainTextAsync("ICE");
        await Expect(mine).ToContainTextAsync("4 agents · 1 vehicle");
        await Expect(mine).ToContainTextAsync("Go quietly, park on 15th");
        await Expect(mine).ToContainTextAsync("minute"); // time since the first report
        await NoSidewaysScrollAsync(phone, $"verifier page at {width}px");
        await BrowserFixture.ScreenshotAsync(phone, $"screens-verify-{width}");
        foreach (var p in new[] { queue, page, phone }) await p.Context.CloseAsync();
    }

    [Fact]
    public async Task Counts_read_right_in_every_language()
    {
        Assert.Equal("1 report", Whistle.Site.Ui.Plural("en", "c.n.reports", 1));
        Assert.Equal("3 reports", Whistle.Site.Ui.Plural("en", "c.n.reports", 3));
        Assert.Equal("1 reporte", Whistle.Site.Ui.Plural("es", "c.n.reports", 1));
        Assert.Equal("0 reportes", Whistle.Site.Ui.Plural("es", "c.n.reports", 0));
        Assert.Equal("1 warbixin", Whistle.Site.Ui.Plural("so", "c.n.reports", 1));
        Assert.Equal("2 warbixinood", Whistle.Site.Ui.Plural("so", "c.n.reports", 2));
        Assert.Equal("1 daim ntawv qhia", Whistle.Site.Ui.Plural("hmn", "c.n.reports", 1));
        Assert.Equal("5 daim ntawv qhia", Whistle.Site.Ui.Plural("hmn", "c.n.reports", 5));

        // The console's C.plural is the same rule: a Spanish queue card says "1 reporte".
        var dispatcher = await StaffAsync(Roles.Dispatcher);
        var page = await SignedInAsync(browser.Browser, browser.BaseUrl, dispatcher, BrowserFixture.Phone);
        await page.GotoAsync("/console?lang=es");
        await page.WaitForFunctionAsync("() => window.WhistleConsole && window.WhistleConsole.plural");
        Assert.Equal("1 reporte", await page.EvaluateAsync<string>("() => WhistleConsole.plural('c.n.reports', 1)"));
        Assert.Equal("2 reportes", await page.EvaluateAsync<string>("() => WhistleConsole.plural('c.n.reports', 2)"));
        await page.GotoAsync("/console?lang=hmn");
        Assert.Equal("1 daim ntawv qhia", await page.EvaluateAsync<string>("() => WhistleConsole.plural('c.n.reports', 1)"));
        await page.GotoAsync("/console?lang=en");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_blocked_new_report_sound_offers_Enable_sound_and_after_the_click_the_next_report_plays()
    {
        // Chromium's desktop default: sound needs a gesture on the page first. Headless Chromium lets media play regardless,
        // so the spy below also applies that rule: no play() before a pointer or key press on this page.
        using var playwright = await Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserFixture.Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--autoplay-policy=user-gesture-required"],
        });
        var dispatcher = await StaffAsync(Roles.Dispatcher);
        // A spy on play(): counts the sounds that really played (a muted unlock does not count) and the refusals.
        const string spy = """
            (() => { window.__played = 0; window.__refused = 0; const play = HTMLMediaElement.prototype.play;
              let gesture = false; const now = () => { gesture = true; };
              addEventListener("pointerdown", now, true); addEventListener("keydown", now, true);
              HTMLMediaElement.prototype.play = function () { const audible = !this.muted;
                const p = gesture ? play.apply(this, arguments)
                  : Promise.reject(new DOMException("play() failed because the user didn't interact with the document first.", "NotAllowedError"));
                p.then(() => { if (audible) window.__played++; }, (e) => { window.__refused++; (window.__errors = window.__errors || []).push(e.name); }); return p; }; })();
            """;
        var page = await SignedInAsync(chromium, browser.BaseUrl, dispatcher, BrowserFixture.Desktop, spy);
        await page.GotoAsync("/console"); // no click on this page yet
        await Expect(page.Locator("#live")).ToHaveTextAsync("Live");
        var enable = page.GetByRole(AriaRole.Button, new() { Name = "Enable sound" });
        await Expect(enable).ToBeHiddenAsync();

        var at = Inside(20);
        await ReportAsync(new { activity = "patrol", lat = at.Lat, lon = at.Lon, channel = "web" });
        await page.WaitForFunctionAsync("() => window.__played + window.__refused >= 1");
        output.WriteLine(await page.EvaluateAsync<string>("() => JSON.stringify([window.__played, window.__refused, window.__errors])"));
        await Expect(enable).ToBeVisibleAsync();
        await Expect(page.Locator("#sound-blocked")).ToBeVisibleAsync();
        Assert.Equal(0, await Int(page, "() => window.__played"));
        Assert.True(await Int(page, "() => window.__refused") >= 1);

        await enable.ClickAsync();
        await Expect(enable).ToBeHiddenAsync();
        Assert.Equal("1", await page.EvaluateAsync<string>("() => sessionStorage.getItem('whistle.sound')"));
        var other = Inside(30);
        await ReportAsync(new { activity = "arrest", lat = other.Lat, lon = other.Lon, channel = "web" });
        await page.WaitForFunctionAsync("() => window.__played >= 1");
        await Expect(enable).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_verifier_going_on_duty_shows_on_the_dispatchers_open_roster_without_a_reload()
    {
        var dispatcher = await StaffAsync(Roles.Dispatcher);
        var verifier = await StaffAsync(Roles.Verifier);
        (await verifier.Api.PutAsJsonAsync("/api/v1/roster/me", new { onDuty = false, homeZoneId = MidtownPhillips })).EnsureSuccessStatusCode();
        var at = Inside(10);
        var id = await ReportAsync(new { activity = "checkpoint", lat = at.Lat, lon = at.Lon, channel = "web" });

        var desk = await SignedInAsync(browser.Browser, browser.BaseUrl, dispatcher, BrowserFixture.Desktop);
        await desk.GotoAsync($"/console/sightings/{id}");
        var row = desk.Locator($"#roster tr[data-verifier='{verifier.Email}']");
        await Expect(row).ToHaveAttributeAsync("data-duty", "off");
        await desk.EvaluateAsync("() => { window.__sameDocument = true; }");

        var phone = await SignedInAsync(browser.Browser, browser.BaseUrl, verifier, BrowserFixture.Phone);
        await phone.GotoAsync("/console/verify");
        await Expect(phone.Locator("#duty-status")).ToContainTextAsync("off duty");
        await phone.GetByRole(AriaRole.Button, new() { Name = "Go on duty" }).ClickAsync();

        await Expect(row).ToHaveAttributeAsync("data-duty", "on");
        await Expect(row).ToContainTextAsync("yes");
        Assert.True(await desk.EvaluateAsync<bool>("() => window.__sameDocument === true")); // no reload
        await phone.GetByRole(AriaRole.Button, new() { Name = "Go off duty" }).ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-duty", "off");
        await desk.Context.CloseAsync();
        await phone.Context.CloseAsync();
    }
}
