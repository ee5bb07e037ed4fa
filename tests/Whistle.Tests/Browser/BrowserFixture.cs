using System.Text.Json;
using Microsoft.Playwright;
using Whistle.Tests.Api;

namespace Whistle.Tests.Browser;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser), against a whole Whistle on a
/// real loopback port. One per test class: each class gets its own app, database and browser.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public CustomApp App { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";

    protected virtual Dictionary<string, string?> Settings => [];

    public async Task InitializeAsync()
    {
        int port = CustomApp.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var settings = new Dictionary<string, string?>(Settings) { ["Whistle:PublicBaseUrl"] = BaseUrl };
        App = new CustomApp(settings, kestrelPort: port);
        _ = App.Services; // start it
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };

    /// <summary>A fresh browser context (its own storage); with a position, the page may read it ("use my location").</summary>
    /// <param name="timezoneId">The browser's own time zone (IANA), e.g. to show that pages use the network's zone, not the browser's.</param>
    public async Task<IPage> NewPageAsync(ViewportSize? viewport = null, string locale = "en-US", Geolocation? position = null, string? timezoneId = null)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = BaseUrl, ViewportSize = viewport ?? Desktop, Locale = locale,
            IsMobile = viewport == Phone, HasTouch = viewport == Phone,
            Geolocation = position, Permissions = position is null ? null : ["geolocation"], TimezoneId = timezoneId,
        });
        return await context.NewPageAsync();
    }

    /// <summary>Saves a screenshot under artifacts/screenshots/ at the repository root, for a reviewer to look at.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    private static readonly Lazy<string> AxeSource = new(() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "axe.min.js")));

    /// <summary>axe-core (from npm) run in the page: the violations of impact serious or critical.</summary>
    public static async Task<List<string>> SeriousAccessibilityViolationsAsync(IPage page)
    {
        // Evaluated through the DevTools protocol, not added as an inline <script> (which the pages' CSP blocks).
        await page.EvaluateAsync("() => {\n" + AxeSource.Value + "\n}");
        var json = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations");
        return json.EnumerateArray()
            .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
            .Select(v => $"{v.GetProperty("id").GetString()}: {v.GetProperty("help").GetString()} ({v.GetProperty("nodes").GetArrayLength()} elements, e.g. {v.GetProperty("nodes")[0].GetProperty("html").GetString()})")
            .ToList();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Whistle.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? AppContext.BaseDirectory;
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        App.Dispose();
    }
}
