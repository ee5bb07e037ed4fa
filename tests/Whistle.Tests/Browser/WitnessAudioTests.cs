using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;
using Whistle.Site;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 13 §3: a witness statement recorded as audio on the console's incident page — Chromium with a fake
/// microphone records about a second, the statement is saved, and the API shows it linked to an audio evidence
/// item with its custody entry. Where the browser has no MediaRecorder, an audio file is chosen instead.
/// </summary>
public sealed class WitnessAudioTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private async Task<(string Email, string Password)> DocumenterAsync()
    {
        var email = $"documenter-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using var scope = browser.App.Services.CreateAsyncScope();
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Documenter, password)).Succeeded);
        return (email, password);
    }

    /// <summary>This test's own Chromium: a fake microphone (a tone) that needs no permission prompt.</summary>
    private async Task<(IPlaywright, IBrowser)> BrowserWithMicrophoneAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserFixture.Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
        });
        return (playwright, chromium);
    }

    private async Task<IPage> IncidentPageAsync(IBrowser chromium, (string Email, string Password) who, Guid incident, string? initScript = null)
    {
        var context = await chromium.NewContextAsync(new() { BaseURL = browser.BaseUrl, ViewportSize = BrowserFixture.Desktop, Locale = "en-US" });
        await context.GrantPermissionsAsync(["microphone"], new() { Origin = browser.BaseUrl });
        if (initScript is not null) await context.AddInitScriptAsync(initScript);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/incidents");
        await page.GotoAsync($"/console/incidents/{incident}");
        await Expect(page.Locator("#facts")).ToContainTextAsync("Lake St");
        await page.GetByText("Add a witness statement").ClickAsync();
        return page;
    }

    private async Task<HttpClient> ApiAsync() => await browser.App.StaffAsync("documenter");

    [Fact]
    public async Task A_statement_recorded_in_the_browser_is_saved_with_its_audio_as_evidence_in_the_custody_log()
    {
        var incident = await EvidenceFixtures.CreateIncidentAsync(browser.App, "Raid at Lake St " + Guid.NewGuid().ToString("N")[..6]);
        var who = await DocumenterAsync();
        var (playwright, chromium) = await BrowserWithMicrophoneAsync();
        try
        {
            var page = await IncidentPageAsync(chromium, who, incident);
            var box = page.Locator("#witness-audio");
            await page.GetByRole(AriaRole.Button, new() { Name = "Record audio" }).ClickAsync();
            await Expect(box).ToHaveAttributeAsync("data-audio", "recording");
            // About a second: four pieces of 250 ms have arrived from the recorder.
            await page.WaitForFunctionAsync("() => Number(document.getElementById('witness-audio').dataset.pieces) >= 4");
            await page.GetByRole(AriaRole.Button, new() { Name = "Stop recording" }).ClickAsync();
            await Expect(box).ToHaveAttributeAsync("data-audio", "recorded");
            await Expect(page.Locator("#wa-preview")).ToBeVisibleAsync();
            await Expect(page.Locator("#wa-status")).ToContainTextAsync("Recorded:");

            var form = page.Locator("#add-witness");
            await form.GetByLabel("Legal: may be shared with lawyers").CheckAsync();
            await form.GetByRole(AriaRole.Button, new() { Name = "Add the statement" }).ClickAsync();
            var card = page.Locator("#witnesses li[data-id]");
            await Expect(card).ToHaveCountAsync(1);
            await Expect(box).ToHaveAttributeAsync("data-audio", "none"); // the form is empty again

            // The API: the statement points to an audio evidence item, whose upload is in the custody log.
            var api = await ApiAsync();
            var file = (await api.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}"))!;
            var witness = file["witnesses"]!.AsArray().Single()!;
            var audioId = witness["audioEvidenceId"]?.GetValue<long>();
            Assert.NotNull(audioId);
            var evidence = file["evidence"]!.AsArray().Single(e => e!["id"]!.GetValue<long>() == audioId)!;
            Assert.StartsWith("audio/", evidence["mediaType"]!.GetValue<string>());
            Assert.True(evidence["size"]!.GetValue<long>() > 1000, $"a second of audio is more than {evidence["size"]} bytes");
            Assert.Equal("Whistle console (MediaRecorder)", evidence["device"]?.GetValue<string>());
            Assert.NotNull(evidence["capturedAt"]);
            var custody = (await api.GetFromJsonAsync<JsonArray>($"/api/v1/incidents/{incident}/custody"))!;
            Assert.Contains(custody, c => c!["action"]!.GetValue<string>() == "evidence_added" && c["objectType"]!.GetValue<string>() == "evidence"
                && c["objectId"]!.GetValue<string>() == audioId.ToString() && c["objectHash"]!.GetValue<string>() == evidence["sha256"]!.GetValue<string>());

            // The statement on the page plays its recording (fetched with the staff token).
            await card.GetByRole(AriaRole.Button, new() { Name = "Audio of the statement" }).ClickAsync();
            var player = card.Locator("audio");
            await Expect(player).ToBeVisibleAsync();
            await Expect(player).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^blob:"));
            await BrowserFixture.ScreenshotAsync(page, "console-incident-witness-audio");
        }
        finally
        {
            await chromium.DisposeAsync();
            playwright.Dispose();
        }
    }

    [Fact]
    public async Task Without_MediaRecorder_an_audio_file_is_chosen_and_saved_with_the_statement()
    {
        var incident = await EvidenceFixtures.CreateIncidentAsync(browser.App, "Checkpoint on Cedar " + Guid.NewGuid().ToString("N")[..6]);
        var who = await DocumenterAsync();
        var page = await IncidentPageAsync(browser.Browser, who, incident, "delete window.MediaRecorder;");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Record audio" })).ToBeHiddenAsync();
        var input = page.GetByLabel("Or choose an audio file");
        await Expect(input).ToHaveAttributeAsync("accept", "audio/*");
        byte[] ogg = [.. "OggS"u8, 0, 2, .. new byte[200]];
        await input.SetInputFilesAsync(new FilePayload { Name = "statement.ogg", MimeType = "audio/ogg", Buffer = ogg });
        var form = page.Locator("#add-witness");
        await form.GetByLabel("Statement").FillAsync("She saw two agents at the corner.");
        await form.GetByLabel("Internal: kept in this file only").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Add the statement" }).ClickAsync();
        await Expect(page.Locator("#witnesses li[data-id]")).ToContainTextAsync("two agents");

        var api = await ApiAsync();
        var file = (await api.GetFromJsonAsync<JsonObject>($"/api/v1/incidents/{incident}"))!;
        var audioId = file["witnesses"]!.AsArray().Single()!["audioEvidenceId"]!.GetValue<long>();
        var evidence = file["evidence"]!.AsArray().Single(e => e!["id"]!.GetValue<long>() == audioId)!;
        Assert.Equal("audio/ogg", evidence["mediaType"]!.GetValue<string>());
        Assert.Equal("statement.ogg", evidence["fileName"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_incident_pages_may_use_the_microphone()
    {
        using var client = browser.App.CreateClient();
        var incident = await client.GetAsync($"/console/incidents/{Guid.NewGuid()}");
        Assert.Equal(SecurityHeaders.IncidentPagesPermissionsPolicy, string.Join(",", incident.Headers.GetValues("Permissions-Policy")));
        Assert.Contains("microphone=(self)", SecurityHeaders.IncidentPagesPermissionsPolicy);
        foreach (var path in new[] { "/", "/report", "/subscribe", "/console", "/console/login" })
        {
            var res = await client.GetAsync(path);
            Assert.Contains("microphone=()", string.Join(",", res.Headers.GetValues("Permissions-Policy")));
        }
    }
}
