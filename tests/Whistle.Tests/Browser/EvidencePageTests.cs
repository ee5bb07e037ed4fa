using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Site;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>The /evidence page's app: at most four files a submission (so the cap is cheap to reach), budgets out of the way.</summary>
public sealed class EvidencePageFixture : BrowserFixture
{
    public const int MaxFiles = 4;
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Whistle:Submissions:MaxFilesPerSubmission"] = MaxFiles.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Whistle:Submissions:MinFreeBytes"] = "1",
        ["Whistle:RateLimits:SubmissionsPerMinute"] = "1000",
    };
}

/// <summary>
/// Issue 15 §1 in Chromium, as a bystander's phone (360×740, touch): pick or record files, each sealed on the phone
/// (SHA-256 shown before sending), sent with tus, the receipt with the phone's hash beside the network's; a connection
/// cut mid-upload (CDP) and files picked offline (IndexedDB) both arrive; markup in a file name stays text; the file cap
/// and empty files are refused by the page and by the server.
/// </summary>
public sealed partial class EvidencePageTests(EvidencePageFixture browser) : IClassFixture<EvidencePageFixture>
{
    private static readonly ViewportSize Phone = new() { Width = 360, Height = 740 };

    private async Task<(IPage Page, ConcurrentQueue<string> Errors)> PhoneAsync(string locale = "en-US", string[]? permissions = null, IBrowser? other = null)
    {
        var context = await (other ?? browser.Browser).NewContextAsync(new()
        {
            BaseURL = browser.BaseUrl, ViewportSize = Phone, IsMobile = true, HasTouch = true, Locale = locale, Permissions = permissions,
        });
        await context.AddInitScriptAsync("""
            window.__violations = [];
            document.addEventListener("securitypolicyviolation", function (e) { window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline")); });
            """);
        // Six engineers share two cores: generous waits (each is a wait for something to happen, not a sleep).
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        var page = await context.NewPageAsync();
        var errors = new ConcurrentQueue<string>();
        page.PageError += (_, e) => errors.Enqueue("script error: " + e);
        page.Console += (_, m) => { if (m.Type == "error" && m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) errors.Enqueue(m.Text); };
        return (page, errors);
    }

    /// <summary>Bytes that start as the declared type does (the server checks magic numbers), then random.</summary>
    private static byte[] Media(string kind, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        byte[] head = kind switch
        {
            "jpeg" => [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01],
            "mp4" => [0x00, 0x00, 0x00, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6D, 0x70, 0x34, 0x32, 0x00, 0x00, 0x00, 0x00, 0x6D, 0x70, 0x34, 0x32, 0x69, 0x73, 0x6F, 0x6D],
            "ogg" => [0x4F, 0x67, 0x67, 0x53, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
            _ => [],
        };
        head.CopyTo(bytes, 0);
        return bytes;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<List<string>> ViolationsAsync(IPage page) => [.. await page.EvaluateAsync<string[]>("() => window.__violations || []")];

    private async Task ChooseAsync(IPage page, params FilePayload[] files) => await page.Locator("#choose").SetInputFilesAsync(files);

    private async Task<string> StoredHashAsync(string sha256)
    {
        var store = browser.App.Services.GetRequiredService<EvidenceStore>();
        await using var stream = store.OpenRead(sha256);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
    }

    private async Task<List<Whistle.Submissions.SubmissionFile>> FilesOfAsync(string receiptCode)
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var id = await db.Submissions.Where(s => s.ReceiptCode == receiptCode).Select(s => s.Id).SingleAsync();
        return await db.SubmissionFiles.AsNoTracking().Where(f => f.SubmissionId == id).OrderBy(f => f.Id).ToListAsync();
    }

    [GeneratedRegex("^[0-9A-Z]{4}(-[0-9A-Z]{4})+$")]
    private static partial Regex ReceiptCode();

    [Fact]
    public async Task A_phone_360_wide_seals_each_file_sends_it_and_gets_a_receipt_whose_hashes_match_the_networks_in_spanish()
    {
        var (page, errors) = await PhoneAsync("es-US");
        await page.GotoAsync("/evidence?lang=es");
        await Expect(page.Locator("h1")).ToHaveTextAsync(Ui.T("es", "ev.title"));

        // One-handed on a 360 px phone: nothing wider than the screen, every control at least 44 px, no consent preselected.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 360 px");
        var small = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('#evidence button, #evidence label.button, #evidence label.choice, #evidence label.check, #evidence input[type=text], #evidence input[type=datetime-local], #evidence textarea')]
              .filter(e => e.getClientRects().length)
              .filter(e => { const r = e.getBoundingClientRect(); return r.height < 44 || r.width < 44; })
              .map(e => (e.id || e.textContent.trim()) + ' ' + Math.round(e.getBoundingClientRect().width) + 'x' + Math.round(e.getBoundingClientRect().height))
            """);
        Assert.True(small.Length == 0, "touch targets under 44 px: " + string.Join(", ", small));
        Assert.Equal(0, await page.Locator("input[name=consent]:checked").CountAsync());
        await Expect(page.Locator("label[for=capture]")).ToHaveTextAsync(Ui.T("es", "ev.recordNow"));
        Assert.NotNull(await page.Locator("#capture").GetAttributeAsync("capture"));
        Assert.Null(await page.Locator("#choose").GetAttributeAsync("capture"));

        var photo = Media("jpeg", 300_000);
        var sound = Media("ogg", 120_000);
        await ChooseAsync(page, new FilePayload { Name = "IMG_0001.jpg", MimeType = "image/jpeg", Buffer = photo },
            new FilePayload { Name = "voz.ogg", MimeType = "audio/ogg", Buffer = sound });
        // Sealed on the phone: the fingerprint shown before sending is the file's SHA-256.
        await Expect(page.Locator("#files .ev-hash")).ToHaveTextAsync([Hex(photo), Hex(sound)], new() { Timeout = 20_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => !!window.hashwasm"), "hash-wasm did not load");

        // Consent is required, in the page's language.
        await page.Locator("#send").ClickAsync();
        await Expect(page.Locator("#err-consent")).ToHaveTextAsync(Ui.T("es", "ev.err.consent"));
        await page.GetByLabel(Ui.T("es", "ev.consent.lawyersOnly")).CheckAsync();
        await page.Locator("#what").FillAsync("Agentes en la esquina");
        await page.Locator("#send").ClickAsync();

        await Expect(page.Locator("#receipt")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var code = (await page.Locator(".ev-code").First.TextContentAsync())!.Trim();
        Assert.Matches(ReceiptCode(), code);
        await Expect(page.Locator(".ev-hash.server")).ToHaveTextAsync([Hex(photo), Hex(sound)]);
        await Expect(page.Locator(".ev-match")).ToHaveCountAsync(2);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the receipt scrolls sideways at 360 px");

        // The network holds exactly those bytes, and the phone's queue is empty again.
        var files = await FilesOfAsync(code);
        Assert.Equal([Hex(photo), Hex(sound)], files.Select(f => f.Sha256));
        foreach (var f in files) Assert.Equal(f.Sha256, await StoredHashAsync(f.Sha256!));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => WhistleEvidenceQueue.all().then(a => a.length)"));

        // The code tells its state, in words, on the lookup page.
        await page.GotoAsync("/evidence/receipt?lang=es");
        await page.Locator("#code").FillAsync(code.ToLowerInvariant());
        await page.Locator("#check").ClickAsync();
        await Expect(page.Locator("#state")).ToHaveTextAsync(Ui.T("es", "ev.state.received"));

        Assert.Empty(await ViolationsAsync(page));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task An_upload_cut_off_mid_way_stops_says_it_will_continue_and_completes_when_the_network_is_back_and_the_stored_file_hashes_to_the_pages_hash()
    {
        var (page, errors) = await PhoneAsync();
        await page.GotoAsync("/evidence");
        var video = Media("mp4", 3 * 1024 * 1024);
        await ChooseAsync(page, new FilePayload { Name = "VID_0001.mp4", MimeType = "video/mp4", Buffer = video });
        await Expect(page.Locator("#files .ev-hash")).ToHaveTextAsync(Hex(video), new() { Timeout = 30_000 });
        await page.GetByLabel(Ui.T("en", "ev.consent.publishBlurred")).CheckAsync();

        // A slow connection (128 kB/s up), so the upload is mid-way when the network goes.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        async Task NetworkAsync(bool offline, double up) => await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = offline, ["latency"] = 20, ["downloadThroughput"] = -1, ["uploadThroughput"] = up,
        });
        // The upload requests the browser reports failed once the network is gone: the one sending when it went may still
        // hand over what it had buffered, so "nothing moves" is checked from the first failure on (nothing is in flight then).
        var uploads = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var offline = false;
        var failedOffline = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cdp.Event("Network.requestWillBeSent").OnEvent += (_, e) =>
        {
            if (e is { } ev && ev.GetProperty("request").GetProperty("url").GetString()!.Contains("/api/v1/uploads", StringComparison.Ordinal))
                uploads[ev.GetProperty("requestId").GetString()!] = true;
        };
        cdp.Event("Network.loadingFailed").OnEvent += (_, e) =>
        {
            if (Volatile.Read(ref offline) && e is { } ev && uploads.ContainsKey(ev.GetProperty("requestId").GetString()!)) failedOffline.TrySetResult();
        };
        await NetworkAsync(false, 128 * 1024);
        await page.Locator("#send").ClickAsync();

        var bar = page.Locator("#uploads progress");
        await WhistleApp.EventuallyAsync(() => bar.EvaluateAsync<double>("p => p.value"), v => v >= 10, "the upload to pass 10%", 60_000);
        Volatile.Write(ref offline, true);
        await NetworkAsync(true, 0);

        // The page says it will continue, and progress stands still while offline.
        await Expect(page.Locator("#ev-status")).ToHaveTextAsync(Ui.T("en", "ev.waiting"), new() { Timeout = 30_000 });
        await failedOffline.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stopped = await bar.EvaluateAsync<double>("p => p.value");
        Assert.True(stopped < 100, $"the upload finished before the network was cut ({stopped}%)");
        await page.WaitForTimeoutAsync(2_000); // an assertion that nothing moves, not a synchronisation
        Assert.Equal(stopped, await bar.EvaluateAsync<double>("p => p.value"));

        // Back online (and fast): it continues where the server stopped and completes.
        await NetworkAsync(false, -1);
        await Expect(page.Locator("#receipt")).ToBeVisibleAsync(new() { Timeout = 90_000 });
        await Expect(page.Locator(".ev-match")).ToHaveCountAsync(1);
        var code = (await page.Locator(".ev-code").First.TextContentAsync())!.Trim();
        var file = Assert.Single(await FilesOfAsync(code));
        Assert.Equal(Hex(video), file.Sha256);
        Assert.Equal(Hex(video), await StoredHashAsync(file.Sha256!));
        Assert.Empty(await ViolationsAsync(page));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Files_picked_while_offline_wait_on_the_phone_and_are_sent_when_it_is_back_online()
    {
        var (page, errors) = await PhoneAsync("so");
        await page.GotoAsync("/evidence?lang=so");
        await page.Context.SetOfflineAsync(true);
        var photo = Media("jpeg", 200_000);
        var sound = Media("ogg", 50_000);
        await ChooseAsync(page, new FilePayload { Name = "sawir.jpg", MimeType = "image/jpeg", Buffer = photo },
            new FilePayload { Name = "cod.ogg", MimeType = "audio/ogg", Buffer = sound });
        await Expect(page.Locator("#files .ev-hash")).ToHaveTextAsync([Hex(photo), Hex(sound)], new() { Timeout = 20_000 });
        await page.GetByLabel(Ui.T("so", "ev.consent.publish")).CheckAsync();
        await page.Locator("#send").ClickAsync();

        // Saved on this phone, will be sent when online: the files and their hashes are in IndexedDB.
        await Expect(page.Locator("#ev-status")).ToHaveTextAsync(Ui.T("so", "ev.saved"), new() { Timeout = 20_000 });
        var kept = await page.EvaluateAsync<string[]>("() => WhistleEvidenceQueue.all().then(a => a.flatMap(r => r.files.map(f => f.sha256 + ':' + (f.file instanceof Blob) + ':' + f.file.size)))");
        Assert.Equal([Hex(photo) + ":true:200000", Hex(sound) + ":true:50000"], kept);

        await page.Context.SetOfflineAsync(false);
        await Expect(page.Locator("#receipt")).ToBeVisibleAsync(new() { Timeout = 90_000 });
        await Expect(page.Locator(".ev-match")).ToHaveCountAsync(2);
        var code = (await page.Locator(".ev-code").First.TextContentAsync())!.Trim();
        var files = await FilesOfAsync(code);
        Assert.Equal([Hex(photo), Hex(sound)], files.Select(f => f.Sha256));
        foreach (var f in files) Assert.Equal(f.Sha256, await StoredHashAsync(f.Sha256!));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => WhistleEvidenceQueue.all().then(a => a.length)"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_file_name_with_markup_and_control_characters_shows_as_text_and_runs_nothing()
    {
        var (page, errors) = await PhoneAsync();
        await page.GotoAsync("/evidence");
        const string name = "<img src=x onerror=\"window.pwned=1\">\u202Egpj.\u0007<b>clip</b>.jpg";
        await ChooseAsync(page, new FilePayload { Name = name, MimeType = "image/jpeg", Buffer = Media("jpeg", 5_000) });
        var shown = page.Locator("#files .ev-name");
        await Expect(shown).ToHaveTextAsync("<img src=x onerror=\"window.pwned=1\">gpj.<b>clip</b>.jpg");
        Assert.Equal(0, await page.Locator("#files img, #files b").CountAsync());
        Assert.False(await page.EvaluateAsync<bool>("() => 'pwned' in window"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task More_files_than_the_cap_are_left_out_by_the_page_and_refused_by_the_server()
    {
        var (page, _) = await PhoneAsync();
        await page.GotoAsync("/evidence");
        var many = Enumerable.Range(1, EvidencePageFixture.MaxFiles + 3)
            .Select(i => new FilePayload { Name = $"p{i}.jpg", MimeType = "image/jpeg", Buffer = Media("jpeg", 1_000 + i) }).ToArray();
        await ChooseAsync(page, many);
        await Expect(page.Locator("#files li")).ToHaveCountAsync(EvidencePageFixture.MaxFiles);
        await Expect(page.Locator("#err-files")).ToHaveTextAsync(Ui.T("en", "ev.tooManyFiles").Replace("{max}", EvidencePageFixture.MaxFiles.ToString()));

        // A script that skips the page is refused too.
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var res = await http.PostAsJsonAsync("/api/v1/submissions", new
        {
            consent = "lawyersOnly",
            files = many.Select(f => new { name = f.Name, type = f.MimeType, size = f.Buffer.Length, sha256 = Hex(f.Buffer) }),
        });
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_empty_file_is_refused_with_a_readable_message_in_the_pages_language_by_the_page_and_by_the_server()
    {
        var (page, _) = await PhoneAsync("hmn");
        await page.GotoAsync("/evidence?lang=hmn");
        await ChooseAsync(page, new FilePayload { Name = "empty.mp4", MimeType = "video/mp4", Buffer = [] });
        await Expect(page.Locator("#files li.refused .ev-error")).ToHaveTextAsync(Ui.T("hmn", "ev.empty"));
        await page.GetByLabel(Ui.T("hmn", "ev.consent.lawyersOnly")).CheckAsync();
        await page.Locator("#send").ClickAsync();
        await Expect(page.Locator("#err-files")).ToHaveTextAsync(Ui.T("hmn", "ev.err.files"));
        await Expect(page.Locator("#receipt")).ToBeHiddenAsync();

        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var res = await http.PostAsJsonAsync("/api/v1/submissions", new
        {
            language = "hmn", consent = "lawyersOnly",
            files = new[] { new { name = "empty.mp4", type = "video/mp4", size = 0, sha256 = Hex([]) } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var problem = await res.Content.ReadFromJsonAsync<JsonObject>();
        Assert.NotNull(problem!["errors"]!["files[0].size"]);
    }

    [Fact]
    public async Task After_a_report_the_page_offers_to_send_recordings_in_the_same_language()
    {
        var (page, _) = await PhoneAsync("so");
        await page.GotoAsync("/report?lang=so");
        var step = page.Locator("#evidence-step");
        Assert.Equal("/evidence?lang=so", await step.GetAttributeAsync("href"));
        Assert.Equal(Ui.T("so", "ev.fromReport"), (await step.TextContentAsync())!.Trim());
        await page.GotoAsync((await step.GetAttributeAsync("href"))!);
        await Expect(page.Locator("h1")).ToHaveTextAsync(Ui.T("so", "ev.title"));
        await Expect(page.Locator(".top nav a[href='/evidence']")).ToHaveTextAsync(Ui.T("so", "nav.evidence"));
    }

    [Fact]
    public async Task Sound_recorded_in_the_page_becomes_a_sealed_file_in_the_list_and_arrives_intact()
    {
        // A Chromium with a fake microphone and camera that says yes to them (as a person would tap "Allow").
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserFixture.Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
        });
        var (page, errors) = await PhoneAsync(permissions: ["microphone", "camera"], other: chromium);
        await page.GotoAsync("/evidence");
        await page.Locator("#rec-audio").ClickAsync();
        await Expect(page.Locator("#rec-stop")).ToBeVisibleAsync();
        await Expect(page.Locator("#rec-text")).ToHaveTextAsync(Ui.T("en", "ev.recording"));
        await page.WaitForTimeoutAsync(1_500); // the length of the recording, not a synchronisation
        await page.Locator("#rec-stop").ClickAsync();
        await Expect(page.Locator("#files .ev-name")).ToHaveTextAsync(new Regex(@"^recording-.*\.(webm|ogg|mp4)$"));
        await Expect(page.Locator("#files .ev-hash")).ToHaveTextAsync(new Regex("^[0-9a-f]{64}$"), new() { Timeout = 20_000 });
        var phoneHash = (await page.Locator("#files .ev-hash").TextContentAsync())!;

        await page.GetByLabel(Ui.T("en", "ev.consent.lawyersOnly")).CheckAsync();
        await page.Locator("#send").ClickAsync();
        await Expect(page.Locator("#receipt")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.Locator(".ev-match")).ToHaveCountAsync(1);
        var code = (await page.Locator(".ev-code").First.TextContentAsync())!.Trim();
        var file = Assert.Single(await FilesOfAsync(code));
        Assert.Equal(phoneHash, file.Sha256);
        Assert.StartsWith("audio/", file.MediaType);
        Assert.Empty(await ViolationsAsync(page));
        Assert.Empty(errors);
    }
}
