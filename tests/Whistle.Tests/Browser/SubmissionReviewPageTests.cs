using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;
using Whistle.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 15 §2 in Chromium: a documenter opens the review queue, plays a real MP4 (made here with ffmpeg) in the preview's
/// &lt;video&gt; player, sees the submitter's words as text (their markup never runs), attaches the submission to a new incident,
/// and finds the video among that incident's evidence.
/// </summary>
public sealed class SubmissionReviewPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>One second of a test pattern, H.264 in MP4 (moov first), made with Debian's ffmpeg.</summary>
    private static async Task<byte[]> Mp4Async()
    {
        var path = Path.Combine(Path.GetTempPath(), $"whistle-review-{Guid.NewGuid():N}.mp4");
        var psi = new ProcessStartInfo("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", path]) { RedirectStandardError = true };
        using var ffmpeg = Process.Start(psi)!;
        var errors = await ffmpeg.StandardError.ReadToEndAsync();
        await ffmpeg.WaitForExitAsync();
        Assert.True(ffmpeg.ExitCode == 0, "ffmpeg: " + errors);
        try { return await File.ReadAllBytesAsync(path); }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task A_documenter_plays_a_submitted_video_and_attaches_it_to_a_new_incident()
    {
        var video = await Mp4Async();
        var s = await SubmissionSeed.SeedAsync(browser.App, [("scene.mp4", "video/mp4", video)]);
        var email = $"documenter-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Documenter, password)).Succeeded);

        var page = await browser.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/incidents");

        await page.GetByRole(AriaRole.Link, new() { Name = "Submissions" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/submissions");
        await page.Locator($"#submissions tr[data-id='{s.Id}'] button").ClickAsync();
        var facts = page.Locator("#sub-facts");
        // The submitter's words, markup and all, shown as text: no script ran, no element was made from them.
        await Expect(facts).ToContainTextAsync(SubmissionSeed.What);
        Assert.Equal(0, await facts.Locator("script").CountAsync());
        await Expect(page.Locator("#sub-files")).ToContainTextAsync(EvidenceFixtures.Sha(video));
        await Expect(page.Locator("#sub-files")).ToContainTextAsync("The two hashes match");

        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        var player = page.Locator($"video[data-file-id='{s.Files[0].Id}']");
        await Expect(player).ToBeVisibleAsync();
        await page.WaitForFunctionAsync($"() => {{ const v = document.querySelector(\"video[data-file-id='{s.Files[0].Id}']\"); return v && v.readyState >= 1 && v.duration > 0; }}");
        var duration = await player.EvaluateAsync<double>("v => v.duration");
        Assert.InRange(duration, 0.5, 2.0);

        await page.GetByText("Attach to an incident file").ClickAsync();
        await page.GetByLabel("A new one").CheckAsync();
        await page.Locator("#attach-title").FillAsync("Arrest seen by a bystander");
        await page.Locator("#attach-place").FillAsync("Lake St");
        await page.GetByRole(AriaRole.Button, new() { Name = "Attach", Exact = true }).ClickAsync();
        await Expect(page.Locator("#sub-status")).ToContainTextAsync("Attached");
        await page.Locator("#sub-incident-link").ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath.StartsWith("/console/incidents/", StringComparison.Ordinal));
        await Expect(page.Locator("#i-title")).ToContainTextAsync("Arrest seen by a bystander");
        await Expect(page.Locator("#evidence")).ToContainTextAsync("scene.mp4");
        Assert.Equal(0, dialogs);

        var api = await browser.App.StaffAsync(Roles.Documenter);
        var detail = (await api.GetFromJsonAsync<JsonObject>($"/api/v1/review/submissions/{s.Id}"))!;
        Assert.Equal("attached", detail["state"]!.GetValue<string>());
    }
}
