using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Tests.Api;

namespace Whistle.Tests.Browser;

/// <summary>
/// Seen: the Hmong sighting page mixed English ("Reports", "History", "resolved") and raw values ("alert
/// cancelled: all_clear"); a raw key c.users.role.documenter showed in every language; activity names differed
/// between console and public pages. Every page — public, and the console as each role that sees something
/// different — with demo data (a sighting with reports and history, an alert, incident files), in en, es, so and
/// hmn, on a phone (360×740) and a desk (1366×768). Fails on (a) a visible text that is the same as on the English
/// rendering of the page (proper names, numbers, times and people's own words excepted: the latter are marked
/// translate="no" in the page, or are the seeded data), (b) anything that looks like a raw key, (c) a page wider
/// than the screen. Screenshots: TestResults/screens/&lt;page&gt;-&lt;lang&gt;-&lt;size&gt;.png.
/// One class per screen size (each with its own app, data and browser), so the two halves run side by side
/// (decision 0044); together they visit exactly what the one test did.
/// </summary>
public abstract partial class EveryPageEveryLanguageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>The screen size this class reads every page at (phone or desk).</summary>
    protected abstract ViewportSize Size { get; }

    protected static readonly ViewportSize Phone = new() { Width = 360, Height = 740 };
    protected static readonly ViewportSize Desk = new() { Width = 1366, Height = 768 };
    private static readonly string[] Others = ["es", "so", "hmn"];

    /// <summary>Proper names and words that are the same in every language.</summary>
    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "Whistle", "ICE", "CBP", "SMS", "JSON", "CSV", "GeoJSON", "API", "English", "Español", "Soomaali", "Hmoob",
        "Minneapolis", "OK", "Email", "PDF", "ZIP", "SHA-256", "Leaflet", "OpenStreetMap", "©", "+", "−", "km", "m",
        "Web", "web", "Webhook", "Passkey", "passkey", "bytes", "name", "NAME", "BDNAME", "SVG", "USD", "gsm", "ucs", "en", "es", "so", "hmn", "Twin", "Cities", "Rapid", "Response", "demo",
    };

    /// <summary>Words a language writes as English does ("No" in Spanish).</summary>
    private static readonly Dictionary<string, string[]> Same = new() { ["es"] = ["No", "no"], ["so"] = [], ["hmn"] = [] };

    private sealed record Visit(string Page, string Path, string? Role);

    /// <summary>Pages read at once: more only queue on a 2-core machine's Chromium and server.</summary>
    private const int Tabs = 3;

    [Fact]
    public async Task Every_page_reads_in_every_language_without_english_leftovers_raw_keys_or_overflow()
    {
        var seeded = await SeedAsync();
        var visits = new List<Visit>
        {
            new("home", "/", null), new("report", "/report", null), new("subscribe", "/subscribe", null),
            new("unsubscribe", "/unsubscribe", null), new("rights", "/rights", null), new("registry", "/registry", null),
            new("evidence", "/evidence", null), new("evidence-receipt", "/evidence/receipt", null),
            new("login", "/console/login", null),
            new("queue", "/console", Roles.Dispatcher),
            new("sighting", "/console/sightings/" + seeded.SightingId, Roles.Dispatcher),
            new("partners", "/console/partners", Roles.Dispatcher),
            new("account", "/console/account", Roles.Dispatcher),
            new("verify", "/console/verify", Roles.Verifier),
            new("incidents", "/console/incidents", Roles.Documenter),
            new("incident", "/console/incidents/" + seeded.IncidentId, Roles.Documenter),
            new("submissions", "/console/submissions", Roles.Documenter),
            new("users", "/console/admin/users", Roles.Admin),
            new("zones", "/console/admin/zones", Roles.Admin),
            new("retention", "/console/admin/retention", Roles.Admin),
            new("templates", "/console/admin/templates", Roles.Admin),
            // the admin's queue page carries the first-run checklist
            new("checklist", "/console", Roles.Admin),
        };
        var failures = new List<string>();
        var sizeName = Size == Phone ? "360x740" : "1366x768";
        // One context per role, logged in once through the form as before (the same logins); each visit then reads its
        // page in a tab of its own, a few at a time (decision 0044, issue 16): a page's checks read only that page. The
        // console keeps its session in the tab's sessionStorage, so each new tab of the role starts with the session the
        // login left (the access token outlives this test; nothing here refreshes it).
        var contexts = new Dictionary<string, IBrowserContext>();
        foreach (var role in visits.Select(v => v.Role ?? "public").Distinct())
        {
            var page = await NewPageAsync(Size);
            if (role != "public")
            {
                await LoginAsync(page, seeded.Staff[role]);
                var session = await page.EvaluateAsync<string>("() => JSON.stringify(Object.assign({}, sessionStorage))");
                await page.Context.AddInitScriptAsync("(() => { const s = " + session + "; if (!sessionStorage.getItem('whistle.token')) for (const k in s) sessionStorage.setItem(k, s[k]); })()");
            }
            await page.CloseAsync();
            contexts[role] = page.Context;
        }
        using var tabs = new SemaphoreSlim(Tabs);
        await Task.WhenAll(visits.Select(async visit =>
        {
            await tabs.WaitAsync();
            try
            {
                var page = await contexts[visit.Role ?? "public"].NewPageAsync();
                var checks = new List<string>();
                var english = await ReadAsync(page, visit, "en", sizeName, checks);
                var leftovers = english.Where(t => !Allowed(t, seeded.Data)).ToHashSet(StringComparer.Ordinal);
                foreach (var lang in Others)
                {
                    var texts = await ReadAsync(page, visit, lang, sizeName, checks);
                    foreach (var t in texts.Where(leftovers.Contains).Except(Same[lang]).Distinct())
                        checks.Add($"English left: \"{t}\" ({visit.Page} {lang} {sizeName})");
                }
                await page.CloseAsync();
                lock (failures) failures.AddRange(checks);
            }
            finally { tabs.Release(); }
        }));
        foreach (var c in contexts.Values) await c.CloseAsync();
        // one line per problem, with every page, language and size it was seen on
        var grouped = failures.Select(f => f.LastIndexOf(" (", StringComparison.Ordinal) is var i and > 0 ? new[] { f[..i], f[(i + 2)..].TrimEnd(')') } : [f, ""])
            .GroupBy(p => p[0], p => p[1])
            .Select(g => g.Key + " (" + string.Join("; ", g.Distinct()) + ")").ToList();
        Assert.True(failures.Count == 0, grouped.Count + " problems:\n" + string.Join("\n", grouped.Take(400)));
    }

    private async Task<List<string>> ReadAsync(IPage page, Visit visit, string lang, string size, List<string> failures)
    {
        var sep = visit.Path.Contains('?') ? "&" : "?";
        await page.GotoAsync(visit.Path + sep + "lang=" + lang);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // the console's pages fill themselves from the API: wait until their lists have settled
        await WhistleApp.EventuallyAsync(() => page.EvaluateAsync<int>("() => document.querySelectorAll('[aria-busy=true]').length"), n => n == 0, "page settled");
        var dir = Path.Combine(AppContext.BaseDirectory, "TestResults", "screens");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"{visit.Page}-{lang}-{size}.png"), FullPage = true });

        var texts = await page.EvaluateAsync<string[]>(CollectTexts);
        foreach (var t in texts.Where(t => RawKey().IsMatch(t)).Distinct())
            failures.Add($"raw key \"{t}\" ({visit.Page} {lang} {size})");
        var (scroll, inner) = (await page.EvaluateAsync<int>("() => document.scrollingElement.scrollWidth"), await page.EvaluateAsync<int>("() => window.innerWidth"));
        if (scroll > inner) failures.Add($"wider than the window: {scroll}px in {inner}px ({visit.Page} {lang} {size})");
        return texts.ToList();
    }

    /// <summary>Every visible text of the page, its labels and the options of its lists, skipping people's own words (translate="no").</summary>
    private const string CollectTexts = """
        () => {
          const out = [];
          // people's own words (translate="no"), and text in another language on purpose (an alert's preview in each language)
          const lang = document.documentElement.lang;
          const own = el => el.closest('[translate="no"], script, style, noscript, template, .leaflet-control-attribution')
            || (el.closest('[lang]') && el.closest('[lang]').getAttribute('lang') !== lang);
          const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
          const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const el = n.parentElement;
            if (!el || own(el)) continue;
            if (!shown(el) && el.tagName !== 'OPTION') continue;
            const t = n.textContent.replace(/\s+/g, ' ').trim();
            if (t) out.push(t);
          }
          for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], input[type=submit], input[type=button]')) {
            if (own(el) || !shown(el)) continue;
            for (const a of ['aria-label', 'placeholder', 'title', 'value'])
              if (a !== 'value' || el.tagName === 'INPUT') { const v = (el.getAttribute(a) || '').trim(); if (v && (a !== 'value' || el.type === 'submit' || el.type === 'button')) out.push(v); }
          }
          return out;
        }
        """;

    private static bool Allowed(string text, HashSet<string> data)
    {
        if (data.Contains(text) || Names.Contains(text)) return true;
        if (!Letters().IsMatch(text)) return true;             // numbers, times, punctuation
        if (TimeOrDate().IsMatch(text)) return true;
        if (text.Contains('@') && !text.Contains(' ')) return true; // e-mail addresses
        var words = Words().Matches(text).Select(m => m.Value).ToList();
        return words.All(w => Names.Contains(w) || data.Contains(w)); // "ICE · CBP", a zone's name with a number
    }

    private sealed record Seeded(Guid SightingId, Guid IncidentId, Dictionary<string, (string Email, string Password)> Staff, HashSet<string> Data);

    private async Task<Seeded> SeedAsync()
    {
        var app = browser.App;
        var staff = new Dictionary<string, (string, string)>();
        foreach (var role in Roles.All)
        {
            var email = $"{role}-{Guid.NewGuid():N}@staff.test";
            var password = IdentitySetup.GeneratePassword();
            await using var scope = app.Services.CreateAsyncScope();
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password)).Succeeded);
            staff[role] = (email, password);
        }
        var dispatcher = await ApiAsync(staff[Roles.Dispatcher]);
        var verifier = await ApiAsync(staff[Roles.Verifier]);
        var anonymous = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };

        // a sighting with two reports, verified, alerted, the alert cancelled (history with a system note) — and a second one assigned
        Guid Report(JsonObject o) => Guid.Parse(o["sightingId"]!.GetValue<string>());
        var first = await anonymous.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = 44.9489, lon = -93.2617, agents = 3, vehicles = 2, agency = "ice", text = "Two vans by the school" });
        var sightingId = Report((await first.Content.ReadFromJsonAsync<JsonObject>())!);
        await anonymous.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = 44.9490, lon = -93.2618, agents = 4, agency = "ice" });
        await WhistleApp.SendAsync(dispatcher, verifier, sightingId, "Sam on the way");
        (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sightingId}/verification", new { outcome = "confirmed", note = "two ICE vehicles" })).EnsureSuccessStatusCode();
        var alert = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId, circle = new { lat = 44.9489, lon = -93.2617, radiusMeters = 800 } });
        alert.EnsureSuccessStatusCode();
        var alertId = (await alert.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        (await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{alertId}/cancel", new { reason = "all_clear" })).EnsureSuccessStatusCode();
        var second = await anonymous.PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = 44.97, lon = -93.27, agents = 2, agency = "unknown" });
        await WhistleApp.SendAsync(dispatcher, verifier, Report((await second.Content.ReadFromJsonAsync<JsonObject>())!), "please look");

        var incidents = await RegistrySeed.IncidentsAsync(app);
        var data = new HashSet<string>(StringComparer.Ordinal)
        {
            "Two vans by the school", "“Two vans by the school”", "Sam on the way", "two ICE vehicles", "please look",
            RegistrySeed.Name, RegistrySeed.Title, RegistrySeed.Place, RegistrySeed.Note, RegistrySeed.Unpublished, incidents.Hidden.Title,
        };
        foreach (var i in incidents.Published) { data.Add(i.Title); if (i.Place is { } p) data.Add(p); }
        foreach (var (email, _) in staff.Values) data.Add(email);
        foreach (var z in app.Services.GetRequiredService<ZoneRegistry>().Current.All) data.Add(z.Name);
        return new Seeded(sightingId, incidents.Published[0].Id, staff, data);
    }

    private async Task<IPage> NewPageAsync(ViewportSize size)
    {
        var context = await browser.Browser.NewContextAsync(new() { BaseURL = browser.BaseUrl, ViewportSize = size, Locale = "en-US" });
        return await context.NewPageAsync();
    }

    private static async Task LoginAsync(IPage page, (string Email, string Password) who)
    {
        await page.GotoAsync("/console/login?lang=en");
        await page.Locator("#email").FillAsync(who.Email);
        await page.Locator("#password").FillAsync(who.Password);
        await page.Locator("#login button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath != "/console/login");
    }

    private async Task<HttpClient> ApiAsync((string Email, string Password) who)
    {
        var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = who.Email, password = who.Password });
        login.EnsureSuccessStatusCode();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>());
        return http;
    }

    [GeneratedRegex(@"(^|[\s(""“])(c|problem|template|sub|unsub|report|nav|activity|agency|incident|registry|home|alert)\.[a-zA-Z_]+(\.[a-zA-Z_0-9]+)*($|[\s)""”.,:])|\b[a-z]+_[a-z_]+\b")]
    private static partial Regex RawKey();

    [GeneratedRegex(@"\p{L}")]
    private static partial Regex Letters();

    [GeneratedRegex(@"^[\d:./\- ]*(AM|PM)?[\d:./\- ]*$")]
    private static partial Regex TimeOrDate();

    [GeneratedRegex(@"\p{L}[\p{L}\-']*")]
    private static partial Regex Words();
}

public sealed class EveryPageEveryLanguagePhoneTests(BrowserFixture browser) : EveryPageEveryLanguageTests(browser)
{
    protected override ViewportSize Size => Phone;
}

public sealed class EveryPageEveryLanguageDeskTests(BrowserFixture browser) : EveryPageEveryLanguageTests(browser)
{
    protected override ViewportSize Size => Desk;
}
