using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Whistle.Federation;
using Whistle.Identity;
using Whistle.Site;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;
using static Whistle.Tests.Api.CapFixtures;

namespace Whistle.Tests.Browser;

/// <summary>A map tile server on another origin (a loopback port): a 1×1 PNG for every path, so the pages load tiles as in production.</summary>
public sealed class TileServer : IAsyncDisposable
{
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    private readonly WebApplication _app;
    public string Url { get; private set; } = "";

    private TileServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(ctx => { ctx.Response.ContentType = "image/png"; return ctx.Response.Body.WriteAsync(Png).AsTask(); });
    }

    public static async Task<TileServer> StartAsync()
    {
        var tiles = new TileServer();
        await tiles._app.StartAsync();
        tiles.Url = tiles._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return tiles;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>
/// A Whistle with map tiles from another origin and one partner feed, seeded once with what an attacker can
/// put in front of a browser: a zone imported with a markup name, a report whose place is markup, an alert a
/// dispatcher typed markup into, a partner alert whose headline carries entities, an incident.
/// </summary>
public sealed class PageSafetyBrowserFixture : BrowserFixture, IAsyncLifetime
{
    public const string ZoneName = "<img src=x onerror=window.__pwned=1>";
    public const string PlaceText = "<img src=x onerror=window.__pwned=2>";
    public const string TypedPlace = "<img src=x onerror=window.__pwned=3> Lake St";
    /// <summary>Federation refuses partner text with markup (Cap.CheckedText); what passes must still show verbatim, entities included.</summary>
    public const string PartnerHeadline = "Checkpoint &amp; raid &lt;img src=x onerror=window.__pwned=4&gt; <3";

    public PartnerFeeds Feeds { get; private set; } = null!;
    public TileServer Tiles { get; private set; } = null!;
    public (string Email, string Password) Admin { get; private set; }
    public string SightingId { get; private set; } = "";
    public Guid IncidentId { get; private set; }
    public string ZoneAlertId { get; private set; } = "";
    public string TypedAlertId { get; private set; } = "";

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Whistle:Site:TileUrl"] = Tiles.Url + "/tiles/{z}/{x}/{y}.png",
        ["Whistle:Federation:Enabled"] = "false",
        ["Whistle:Federation:Partners:0:Name"] = FederationTests.Northside,
        ["Whistle:Federation:Partners:0:FeedUrl"] = Feeds.Url + "/feeds/alerts.atom",
        ["Whistle:Federation:Partners:0:AllowPrivateNetwork"] = "true", // the fake partner is on loopback
    };

    public string Csp => SecurityHeaders.ContentSecurityPolicy(Tiles.Url + "/tiles/{z}/{x}/{y}.png");
    /// <summary>The /evidence page's: the same, and WebAssembly for its hasher.</summary>
    public string EvidenceCsp => SecurityHeaders.ContentSecurityPolicy(Tiles.Url + "/tiles/{z}/{x}/{y}.png", wasm: true);

    async Task IAsyncLifetime.InitializeAsync()
    {
        Feeds = await PartnerFeeds.StartAsync();
        Tiles = await TileServer.StartAsync();
        await InitializeAsync();
        await SeedAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Feeds.DisposeAsync();
        await Tiles.DisposeAsync();
    }

    private async Task SeedAsync()
    {
        var email = $"admin-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Admin, password)).Succeeded);
        Admin = (email, password);
        var admin = await App.StaffAsync("admin");

        // A zone north of the city (the topmost shape on every map), named with markup.
        var zone = """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":""" + System.Text.Json.JsonSerializer.Serialize(ZoneName) +
            """},"geometry":{"type":"Polygon","coordinates":[[[-93.30,45.25],[-93.24,45.25],[-93.24,45.29],[-93.30,45.29],[-93.30,45.25]]]}}]}""";
        var import = await admin.PostAsync("/api/v1/zones/import", new StringContent(zone, Encoding.UTF8, "application/geo+json"));
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);

        // A report in that zone whose place is markup; confirmed; an alert with no place (it takes the zone's name).
        var public_ = App.CreateClient();
        var report = await public_.PostAsJsonAsync("/api/v1/reports",
            new { activity = "checkpoint", lat = 45.27, lon = -93.27, agents = 2, placeText = PlaceText });
        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        SightingId = (string)(await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!;
        (await admin.PostAsJsonAsync($"/api/v1/sightings/{SightingId}/verification", new { outcome = "confirmed", note = "seen" })).EnsureSuccessStatusCode();
        var zoneAlert = await admin.PostAsJsonAsync("/api/v1/alerts", new { sightingId = SightingId, circle = new { lat = 45.27, lon = -93.27, radiusMeters = 800 } });
        Assert.Equal(HttpStatusCode.Created, zoneAlert.StatusCode);
        var zoneAlertView = (await zoneAlert.Content.ReadFromJsonAsync<JsonObject>())!;
        ZoneAlertId = (string)zoneAlertView["id"]!;
        Assert.Equal(ZoneName, (string)(await admin.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{ZoneAlertId}"))!["place"]!);

        // A second sighting elsewhere, and an alert whose place the dispatcher typed as markup.
        var second = await public_.PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = 44.90, lon = -93.35, agents = 3 });
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var secondId = (string)(await second.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!;
        (await admin.PostAsJsonAsync($"/api/v1/sightings/{secondId}/verification", new { outcome = "confirmed", note = "seen" })).EnsureSuccessStatusCode();
        var typed = await admin.PostAsJsonAsync("/api/v1/alerts",
            new { sightingId = secondId, circle = new { lat = 44.90, lon = -93.35, radiusMeters = 800 }, place = TypedPlace });
        Assert.Equal(HttpStatusCode.Created, typed.StatusCode);
        TypedAlertId = (string)(await typed.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        // A partner's alert whose headline carries entities and a bare '<' (markup itself the import refuses).
        var now = DateTimeOffset.UtcNow;
        var sent = DateTimeOffset.FromUnixTimeSeconds(now.AddMinutes(-5).ToUnixTimeSeconds());
        Feeds.Serve("/feeds/alerts.atom", Feed(FederationTests.Northside, new Entry("ns-xss-001",
            Message("ns-xss-001", FederationTests.Sender, sent, expires: now.AddHours(2), infos: [En(PartnerHeadline)]))));
        await App.Services.GetRequiredService<FederationPoller>().RunOnceAsync(default);

        IncidentId = await EvidenceFixtures.CreateIncidentAsync(App, "Raid at <b>Lake</b> & 14th");
    }

    /// <summary>
    /// A page whose context records every Content-Security-Policy violation (an init script: it runs before the
    /// page's own, through the DevTools protocol, so the policy does not apply to it), console error and script error.
    /// </summary>
    public async Task<(IPage Page, ConcurrentQueue<string> Errors)> WatchedPageAsync(ViewportSize? viewport = null)
    {
        var page = await NewPageAsync(viewport);
        await page.Context.AddInitScriptAsync("""
            window.__violations = [];
            document.addEventListener("securitypolicyviolation", function (e) {
              window.__violations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
            });
            """);
        var errors = new ConcurrentQueue<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Enqueue($"{page.Url}: console: {m.Text} ({m.Location})"); };
        page.Response += (_, r) => { if (r.Status >= 400) errors.Enqueue($"{page.Url}: {r.Status} from {r.Request.Method} {r.Url}"); };
        // A load Leaflet or a navigation cancelled (a tile no longer in view) is not an error.
        page.RequestFailed += (_, r) => { if (r.Failure?.Contains("ERR_ABORTED") != true) errors.Enqueue($"{page.Url}: failed {r.Method} {r.Url}: {r.Failure}"); };
        page.PageError += (_, e) => errors.Enqueue($"{page.Url}: script error: {e}");
        return (page, errors);
    }

    public static async Task<List<string>> ViolationsAsync(IPage page) =>
        (await page.EvaluateAsync<string[]>("() => window.__violations || []")).Select(v => $"{page.Url}: CSP: {v}").ToList();

    public static async Task LoginAsync(IPage page, (string Email, string Password) who)
    {
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");
    }

    /// <summary>Hovers the topmost shape of a map (the imported zone lies north of all the others).</summary>
    public static async Task HoverNorthernmostAsync(IPage page, string map)
    {
        var shapes = page.Locator($"{map} path.leaflet-interactive");
        await Expect(shapes.First).ToBeVisibleAsync();
        var index = await shapes.EvaluateAllAsync<int>(
            "els => els.map(e => e.getBoundingClientRect().top).reduce((best, top, i, all) => top < all[best] ? i : best, 0)");
        await shapes.Nth(index).HoverAsync();
    }
}

/// <summary>
/// Issue 11, section 2 (and the page side of section 1) in Chromium: every page runs under the strict policy
/// without a violation; markup in zone names, places, partner alerts and Markdown shows as text and runs nothing.
/// </summary>
public sealed class PageSafetyBrowserTests(PageSafetyBrowserFixture browser) : IClassFixture<PageSafetyBrowserFixture>
{
    [Fact]
    public async Task Every_public_and_console_page_runs_under_the_strict_policy_without_a_violation_or_script_error()
    {
        var (page, errors) = await browser.WatchedPageAsync();
        var found = new List<string>();

        async Task VisitAsync(string path, params string[] ready)
        {
            var res = await page.GotoAsync(path);
            Assert.NotNull(res);
            Assert.True(res.Status == 200, $"{path}: {res.Status}");
            var headers = await res.AllHeadersAsync();
            Assert.Equal(path == "/evidence" ? browser.EvidenceCsp : browser.Csp, headers.GetValueOrDefault("content-security-policy"));
            Assert.Equal("nosniff", headers.GetValueOrDefault("x-content-type-options"));
            Assert.Equal("no-referrer", headers.GetValueOrDefault("referrer-policy"));
            Assert.Equal("DENY", headers.GetValueOrDefault("x-frame-options"));
            Assert.StartsWith("geolocation=(self)", headers.GetValueOrDefault("permissions-policy"));
            // The page's own script has drawn what it draws (so it ran, under the policy).
            foreach (var selector in ready) await Expect(page.Locator(selector).First).ToBeAttachedAsync(new() { Timeout = 15_000 });
            await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
            found.AddRange(await PageSafetyBrowserFixture.ViolationsAsync(page));
        }

        // Public pages (tiles come from the tile server's origin: allowed by img-src).
        await VisitAsync("/", "#map img.leaflet-tile-loaded", "#map path.leaflet-interactive", $"#alerts li[data-id='{browser.TypedAlertId}']", "#partner-alerts li[data-id]");
        await VisitAsync("/report", "#map img.leaflet-tile-loaded", "#map path.zone");
        await VisitAsync("/subscribe", "#map img.leaflet-tile-loaded", "#map path.zone");
        await VisitAsync("/rights", "article h1");
        await VisitAsync("/registry", "figure svg");
        await VisitAsync("/registry/schema", "h1");
        await VisitAsync("/unsubscribe", "#unsubscribe");
        await VisitAsync("/evidence", "#recorder:not([hidden]), #evidence");
        await VisitAsync("/evidence/receipt", "#lookup");

        // The console, as an admin (who may open every page).
        await PageSafetyBrowserFixture.LoginAsync(page, browser.Admin);
        found.AddRange(await PageSafetyBrowserFixture.ViolationsAsync(page));
        await VisitAsync("/console", "#queue li", "#queue-map path.leaflet-interactive");
        await VisitAsync($"/console/sightings/{browser.SightingId}", "#s-state:not(:empty)");
        await VisitAsync("/console/verify", "#duty-status:not(:empty)");
        await VisitAsync("/console/incidents", $"#incidents tr[data-id='{browser.IncidentId}']");
        await VisitAsync($"/console/incidents/{browser.IncidentId}", "#facts dd");
        await VisitAsync("/console/partners", "#feeds tr[data-partner]", "#partner-alerts li[data-id]");
        await VisitAsync("/console/admin/users", "#users tr");
        await VisitAsync("/console/admin/zones", "#zones-map path.leaflet-interactive", "#zone-count:not(:empty)");
        await VisitAsync("/console/admin/templates", "#templates > *");
        await VisitAsync("/console/admin/retention", "#retention input");
        await VisitAsync("/console/login", "#login");

        found.AddRange(errors);
        Assert.True(found.Count == 0, "Violations and errors:\n" + string.Join("\n", found));
        Assert.False(await page.EvaluateAsync<bool>("() => 'pwned' in window || '__pwned' in window"));
    }

    [Fact]
    public async Task A_zone_imported_with_a_markup_name_shows_as_text_in_the_map_tooltips_and_lists_and_runs_nothing()
    {
        var (page, errors) = await browser.WatchedPageAsync();

        // /subscribe: the list and the map's tooltip.
        await page.GotoAsync("/subscribe");
        await Expect(page.Locator("#zone-list")).ToContainTextAsync(PageSafetyBrowserFixture.ZoneName);
        await PageSafetyBrowserFixture.HoverNorthernmostAsync(page, "#map");
        var tooltip = page.Locator("#map .leaflet-tooltip");
        await Expect(tooltip).ToHaveTextAsync(PageSafetyBrowserFixture.ZoneName);
        Assert.Equal(0, await tooltip.Locator("img").CountAsync());
        await AssertNothingRanAsync(page, errors);

        // /: the alert sent in that zone is named after it, in the list and in its popup.
        await page.GotoAsync("/");
        var item = page.Locator($"#alerts li[data-id='{browser.ZoneAlertId}'] strong");
        await Expect(item).ToContainTextAsync(PageSafetyBrowserFixture.ZoneName);
        await OpenPopupAsync(page, "#map", "#8a1c0b", northernmost: true);
        var popup = page.Locator("#map .leaflet-popup-content").Last; // the newest (a closing one may linger)
        await Expect(popup).ToContainTextAsync(PageSafetyBrowserFixture.ZoneName);
        Assert.Equal(0, await popup.Locator("img").CountAsync());
        await AssertNothingRanAsync(page, errors);

        // The console's zones page (its tooltip) and the sighting's composer map.
        await PageSafetyBrowserFixture.LoginAsync(page, browser.Admin);
        await page.GotoAsync("/console/admin/zones");
        await PageSafetyBrowserFixture.HoverNorthernmostAsync(page, "#zones-map");
        var consoleTooltip = page.Locator("#zones-map .leaflet-tooltip");
        await Expect(consoleTooltip).ToHaveTextAsync(PageSafetyBrowserFixture.ZoneName);
        Assert.Equal(0, await consoleTooltip.Locator("img").CountAsync());
        await AssertNothingRanAsync(page, errors);
    }

    [Fact]
    public async Task Markup_in_a_reports_place_a_dispatchers_place_and_a_partners_headline_shows_as_text_in_lists_and_popups()
    {
        var (page, errors) = await browser.WatchedPageAsync();
        await page.GotoAsync("/");

        // The dispatcher-typed place: list and popup.
        await Expect(page.Locator($"#alerts li[data-id='{browser.TypedAlertId}'] strong")).ToContainTextAsync(PageSafetyBrowserFixture.TypedPlace);
        await OpenPopupAsync(page, "#map", "#8a1c0b", northernmost: false);
        var popup = page.Locator("#map .leaflet-popup-content").Last; // the newest (a closing one may linger)
        await Expect(popup).ToContainTextAsync(PageSafetyBrowserFixture.TypedPlace);
        Assert.Equal(0, await popup.Locator("img").CountAsync());

        // The partner's headline: list and popup.
        await Expect(page.Locator("#partner-alerts li[data-id] strong")).ToContainTextAsync(PageSafetyBrowserFixture.PartnerHeadline);
        await OpenPopupAsync(page, "#map", "#6a3d9a", northernmost: false);
        await Expect(popup).ToContainTextAsync(PageSafetyBrowserFixture.PartnerHeadline);
        Assert.Equal(0, await popup.Locator("img").CountAsync());
        await AssertNothingRanAsync(page, errors);

        // The console: the report's place in the queue and on the sighting, the partner's headline on the partners page.
        await PageSafetyBrowserFixture.LoginAsync(page, browser.Admin);
        await Expect(page.Locator("#queue")).ToContainTextAsync(PageSafetyBrowserFixture.PlaceText);
        Assert.Equal(0, await page.Locator("#queue img").CountAsync());
        await page.GotoAsync($"/console/sightings/{browser.SightingId}");
        await Expect(page.Locator("#s-title")).ToContainTextAsync(PageSafetyBrowserFixture.PlaceText);
        await page.GotoAsync("/console/partners");
        await Expect(page.Locator("#partner-alerts li[data-id]")).ToContainTextAsync(PageSafetyBrowserFixture.PartnerHeadline);
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        await AssertNothingRanAsync(page, errors);
    }

    [Fact]
    public async Task A_javascript_link_saved_on_the_rights_page_does_nothing_when_clicked()
    {
        var admin = await browser.App.StaffAsync("admin");
        var markdown = "# Rights\n\nAutolink: <javascript:window.__pwned=5>\n\n[Call a lawyer](JaVaScRiPt:window.__pwned=6) and [help](https://example.org/help)";
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/pages/rights/hmn", new { markdown })).StatusCode);

        var (page, errors) = await browser.WatchedPageAsync();
        await page.GotoAsync("/rights?lang=hmn");
        await Expect(page.Locator("article h1")).ToHaveTextAsync("Rights");
        await Expect(page.Locator("article")).ToContainTextAsync("javascript:window.__pwned=5"); // the autolink, as text
        Assert.Equal(0, await page.Locator("article a[href^='javascript' i]").CountAsync());
        var link = page.GetByRole(AriaRole.Link, new() { Name = "Call a lawyer" });
        Assert.Equal("#", await link.GetAttributeAsync("href"));
        await link.ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/rights\?lang=hmn#$"));
        await AssertNothingRanAsync(page, errors);
    }

    /// <summary>Clicks the (northernmost or southernmost) shape of a colour on a map; its popup opens.</summary>
    private static async Task OpenPopupAsync(IPage page, string map, string colour, bool northernmost)
    {
        var shapes = page.Locator($"{map} path[stroke='{colour}']");
        await Expect(shapes.First).ToBeVisibleAsync();
        var index = await shapes.EvaluateAllAsync<int>(
            "(els, north) => els.map(e => e.getBoundingClientRect().top).reduce((best, top, i, all) => (north ? top < all[best] : top > all[best]) ? i : best, 0)",
            northernmost);
        await shapes.Nth(index).DispatchEventAsync("click");
        await Expect(page.Locator($"{map} .leaflet-popup-content").Last).ToBeVisibleAsync();
    }

    private static async Task AssertNothingRanAsync(IPage page, ConcurrentQueue<string> errors)
    {
        Assert.False(await page.EvaluateAsync<bool>("() => '__pwned' in window"), "injected markup ran as script");
        var found = (await PageSafetyBrowserFixture.ViolationsAsync(page)).Concat(errors).ToList();
        Assert.True(found.Count == 0, "Violations and errors:\n" + string.Join("\n", found));
    }
}
