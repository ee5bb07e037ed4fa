using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Site;
using Whistle.Tests.Api;
using Whistle.Tests.Fixtures;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>The whole network for the end-to-end test: the free-space floor and the submission budget out of the way.</summary>
public sealed class BystanderEvidenceFixture : BrowserFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Whistle:Submissions:MinFreeBytes"] = "1",
        ["Whistle:RateLimits:SubmissionsPerMinute"] = "1000",
    };
}

/// <summary>
/// Issue 15 §3, end to end: a bystander's phone in Somali sends a real video with a GPS location, a photo with Exif GPS and a
/// voice clip through a connection that drops mid-upload; a documenter attaches them to a new incident in the console; the
/// export bundle proves each file byte for byte what left the phone (the real sha256sum, the README's own command), its
/// public copies carry no location, and the receipt code then says "attached" and nothing else.
/// </summary>
public sealed class BystanderEvidenceE2ETests(BystanderEvidenceFixture browser) : IClassFixture<BystanderEvidenceFixture>
{
    [Fact]
    public async Task A_Somali_phone_sends_video_photo_and_voice_through_a_cut_connection_and_the_export_proves_each_file_byte_for_byte()
    {
        // What the phone holds: a 6 s video (the biggest, cut off mid-upload), a photo and a voice clip, each hashed here.
        var files = new (string Name, string Type, byte[] Bytes)[]
        {
            ("IMG_0001.MP4", "video/mp4", File.ReadAllBytes(MediaFixtures.VideoWithGps(seconds: 6))),
            ("IMG_0002.JPG", "image/jpeg", File.ReadAllBytes(MediaFixtures.JpegWithGps())),
            ("cod.ogg", "audio/ogg", File.ReadAllBytes(MediaFixtures.Audio())),
        };
        var hashes = files.Select(f => EvidenceFixtures.Sha(f.Bytes)).ToArray();
        Assert.True(files[0].Bytes.Length > 1_000_000, "the video is too small to be cut off mid-upload");

        // ---- the phone, in Somali
        var page = await browser.NewPageAsync(BrowserFixture.Phone, "so-SO");
        var errors = new ConcurrentQueue<string>();
        page.PageError += (_, e) => errors.Enqueue("script error: " + e);
        var seen = new ConcurrentQueue<string>(); // for a failure's message: what the page asked and got
        page.Response += (_, r) => { if (r.Url.Contains("/api/", StringComparison.Ordinal)) seen.Enqueue($"{r.Request.Method} {new Uri(r.Url).AbsolutePath} {r.Status}"); };
        page.Console += (_, m) => seen.Enqueue("console " + m.Type + ": " + m.Text);
        await page.GotoAsync("/evidence?lang=so");
        await Expect(page.Locator("h1")).ToHaveTextAsync(Ui.T("so", "ev.title"));
        await page.Locator("#choose").SetInputFilesAsync(files.Select(f => new FilePayload { Name = f.Name, MimeType = f.Type, Buffer = f.Bytes }));
        // Sealed on the phone: the page shows each file's SHA-256, the same as computed here.
        await Expect(page.Locator("#files .ev-hash")).ToHaveTextAsync(hashes, new() { Timeout = 30_000 });
        await page.GetByLabel(Ui.T("so", "ev.consent.publishBlurred")).CheckAsync();
        await page.Locator("#what").FillAsync("Laba baabuur ayaa istaagay, nin ayaa la qabtay");

        // A slow connection, then none while the video is on its way, then a good one.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        async Task NetworkAsync(bool offline, double up) => await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = offline, ["latency"] = 20, ["downloadThroughput"] = -1, ["uploadThroughput"] = up,
        });
        await NetworkAsync(false, 256 * 1024);
        await page.Locator("#send").ClickAsync();
        var videoRow = page.Locator("#uploads li").Filter(new() { HasText = "IMG_0001.MP4" });
        var bar = videoRow.Locator("progress");
        try { await WhistleApp.EventuallyAsync(() => bar.EvaluateAsync<double>("p => p.value", null, new() { Timeout = 5_000 }), v => v >= 10, "the video's upload to pass 10%", 60_000); }
        catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException)
        {
            await BrowserFixture.ScreenshotAsync(page, "bystander-e2e-stuck");
            Assert.Fail($"the video's upload did not start: {e.Message}\nstatus: {await page.Locator("#ev-status").InnerTextAsync()}\n"
                + $"main: {await page.Locator("main").InnerTextAsync()}\n{string.Join("\n", seen)}");
        }
        await NetworkAsync(true, 0);
        await Expect(page.Locator("#ev-status")).ToHaveTextAsync(Ui.T("so", "ev.waiting"), new() { Timeout = 30_000 });
        var stopped = await bar.EvaluateAsync<double>("p => p.value");
        Assert.True(stopped < 100, $"the video finished before the network was cut ({stopped}%): nothing was resumed");
        // What the server holds of the video at the cut: the upload resumes from there, it does not start again.
        var heldAtCut = await WhistleApp.EventuallyAsync(() => VideoOffsetAsync(files[0].Name), o => o is not null, "the video's upload row");
        await NetworkAsync(false, -1);

        await Expect(page.Locator("#receipt")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Expect(page.Locator(".ev-hash.server")).ToHaveTextAsync(hashes);
        await Expect(page.Locator(".ev-match")).ToHaveCountAsync(3);
        var code = (await page.Locator(".ev-code").First.TextContentAsync())!.Trim();

        // The network holds exactly what the phone hashed: its hashes, and the sealed bytes in the store.
        Guid submissionId;
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var submission = await db.Submissions.AsNoTracking().Include(s => s.Files).SingleAsync(s => s.ReceiptCode == code);
            submissionId = submission.Id;
            Assert.Equal(hashes, submission.Files.OrderBy(f => f.Id).Select(f => f.Sha256));
            Assert.Equal(hashes, submission.Files.OrderBy(f => f.Id).Select(f => f.ClientSha256));
            Assert.Equal("so", submission.Language);
            var store = scope.ServiceProvider.GetRequiredService<Whistle.Incidents.EvidenceStore>();
            foreach (var sha in hashes)
                await using (var stored = store.OpenRead(sha))
                    Assert.Equal(sha, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stored)));
        }
        Assert.True(heldAtCut > 0, "the server held none of the video when the network went: the resume proved nothing");
        Assert.Empty(errors);

        // ---- a documenter, at a desk, attaches it to a new incident through the review queue
        var email = $"documenter-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Documenter, password)).Succeeded);
        var console = await browser.NewPageAsync();
        await console.GotoAsync("/console/login");
        await console.GetByLabel("E-mail address").FillAsync(email);
        await console.GetByLabel("Password").FillAsync(password);
        await console.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await console.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/incidents");
        await console.GotoAsync("/console/submissions");
        await console.Locator($"#submissions tr[data-id='{submissionId}'] button").ClickAsync();
        foreach (var sha in hashes) await Expect(console.Locator("#sub-files")).ToContainTextAsync(sha);
        await console.GetByText("Attach to an incident file").ClickAsync();
        await console.GetByLabel("A new one").CheckAsync();
        const string title = "Arrest on Lake St filmed by a bystander";
        await console.Locator("#attach-title").FillAsync(title);
        await console.Locator("#attach-place").FillAsync("Lake St");
        await console.GetByRole(AriaRole.Button, new() { Name = "Attach", Exact = true }).ClickAsync();
        await Expect(console.Locator("#sub-status")).ToContainTextAsync("Attached");

        Guid incidentId;
        await using (var scope = browser.App.Services.CreateAsyncScope())
            incidentId = (await scope.ServiceProvider.GetRequiredService<WhistleDb>().Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId)).IncidentId!.Value;

        // ---- the export, checked as a lawyer would
        var documenter = await browser.App.StaffAsync(Roles.Documenter);
        var res = await documenter.PostAsync($"/api/v1/incidents/{incidentId}/export", null);
        Assert.True(res.StatusCode == HttpStatusCode.OK, await res.Content.ReadAsStringAsync());
        var bundle = await res.Content.ReadAsByteArrayAsync();
        var dir = Directory.CreateTempSubdirectory("whistle-e2e-").FullName;
        try
        {
            ZipFile.ExtractToDirectory(new MemoryStream(bundle), dir);
            var (ok, output) = Shell.Run(dir, "sha256sum -c SHA256SUMS");
            Assert.True(ok == 0, output);
            var sums = File.ReadAllLines(Path.Combine(dir, "SHA256SUMS")).Select(l => l.Split("  ", 2)).ToDictionary(p => p[1], p => p[0]);
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!.AsObject();
            var submission = Assert.Single(manifest["submissions"]!.AsArray())!;
            Assert.Equal(code, submission["receiptCode"]!.GetValue<string>());
            Assert.Equal("publish_blurred", submission["consent"]!.GetValue<string>());
            var bundled = submission["files"]!.AsArray().Select(f => f!).ToList();
            Assert.Equal(hashes, bundled.Select(f => f["phoneSha256"]!.GetValue<string>()));
            foreach (var f in bundled)
            {
                // The phone's hash is the hash SHA256SUMS gives the file in the bundle (and sha256sum -c checked that one).
                Assert.Equal(f["phoneSha256"]!.GetValue<string>(), sums[f["path"]!.GetValue<string>()]);
                Assert.Equal(f["phoneSha256"]!.GetValue<string>(), f["serverSha256"]!.GetValue<string>());
            }
            // The README's own command for it passes.
            var phoneCheck = Shell.Commands(dir, "jq").Single(j => j.Contains("phoneSha256)  ", StringComparison.Ordinal));
            var (phoneOk, phoneOutput) = Shell.Run(dir, phoneCheck);
            Assert.True(phoneOk == 0, phoneOutput);

            // The public copies carry no location: ffprobe finds none in the video's, the photo's has no GPS IFD.
            var evidence = manifest["evidence"]!.AsArray().Select(e => e!).ToList();
            JsonNode ItemOf(int i) => evidence.Single(e => e["id"]!.GetValue<long>() == bundled[i]["evidenceId"]!.GetValue<long>());
            var videoItem = ItemOf(0);
            Assert.True(MediaFixtures.MovieHasLocation(Path.Combine(dir, videoItem["path"]!.GetValue<string>())), "the original video lost its location: lawyers need it");
            Assert.True(videoItem["publicPath"]?.GetValue<string>() is not null, "the video has no public copy in the bundle");
            var publicVideo = Path.Combine(dir, videoItem["publicPath"]!.GetValue<string>());
            Assert.DoesNotContain(MediaFixtures.LatitudeText, MediaFixtures.ProbeTags(publicVideo));
            Assert.False(MediaFixtures.MovieHasLocation(publicVideo), "the public copy of the video holds a location");
            var photoItem = ItemOf(1);
            Assert.True(MediaFixtures.JpegHasGps(File.ReadAllBytes(Path.Combine(dir, photoItem["path"]!.GetValue<string>()))), "the original photo lost its GPS");
            Assert.True(photoItem["publicPath"]?.GetValue<string>() is not null, "the photo has no public copy in the bundle");
            Assert.False(MediaFixtures.JpegHasGps(File.ReadAllBytes(Path.Combine(dir, photoItem["publicPath"]!.GetValue<string>()))), "the public copy of the photo has a GPS IFD");
        }
        finally { Directory.Delete(dir, recursive: true); }

        // ---- the receipt code now says "attached", and nothing about the incident
        await page.GotoAsync("/evidence/receipt?lang=so");
        await page.Locator("#code").FillAsync(code.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal));
        await page.Locator("#check").ClickAsync();
        await Expect(page.Locator("#state")).ToHaveTextAsync(Ui.T("so", "ev.state.attached"));
        var shown = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain(title, shown);
        Assert.DoesNotContain(incidentId.ToString(), shown, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Lake St", shown);
        var lookup = (await browser.App.CreateClient().GetFromJsonAsync<JsonObject>($"/api/v1/submissions/receipt/{code}"))!;
        Assert.Equal(["state"], lookup.Select(p => p.Key));
        Assert.Equal("attached", lookup["state"]!.GetValue<string>());
        Assert.Empty(errors);
    }

    private async Task<long?> VideoOffsetAsync(string name)
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var file = await db.SubmissionFiles.AsNoTracking().Where(f => f.FileName == name && f.Offset > 0).OrderByDescending(f => f.Id).FirstOrDefaultAsync();
        return file?.Offset;
    }
}
