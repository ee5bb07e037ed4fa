using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;
using Whistle.Incidents;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// The documenter's incident pages: the list (with the demo file), a new file opened from the form, then on the
/// file page a timeline entry, a claim, a witness statement (refused without consent, next to the field), an
/// uploaded file listed with its SHA-256, and the custody chain verified and shown.
/// </summary>
public sealed partial class IncidentPagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private async Task<(string Email, string Password)> DocumenterAsync()
    {
        var email = $"documenter-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using var scope = browser.App.Services.CreateAsyncScope();
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Documenter, password)).Succeeded);
        return (email, password);
    }

    private static async Task LoginAsync(IPage page, (string Email, string Password) who)
    {
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/incidents");
    }

    private static async Task AccessibleAsync(IPage page)
    {
        var violations = await BrowserFixture.SeriousAccessibilityViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [GeneratedRegex(@"/console/incidents/[0-9a-f-]{36}$")]
    private static partial Regex FilePage();

    [Fact]
    public async Task A_documenter_opens_a_file_adds_to_it_uploads_evidence_and_verifies_the_custody_chain()
    {
        var who = await DocumenterAsync();
        var page = await browser.NewPageAsync(BrowserFixture.Desktop);
        await LoginAsync(page, who);
        await page.GetByRole(AriaRole.Link, new() { Name = "Incidents", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/console/incidents");

        // The list: the demo file seeded from the article.
        var rows = page.Locator("#incidents tr[data-id]");
        await Expect(rows.Filter(new() { HasText = DemoIncident.Title })).ToHaveCountAsync(1);
        await Expect(rows.Filter(new() { HasText = DemoIncident.Title })).ToContainTextAsync("Shooting");
        await AccessibleAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "console-incidents-desktop");

        // A new file from the form.
        var title = "Workplace raid at the bakery on Lake St " + Guid.NewGuid().ToString("N")[..6];
        var create = page.Locator("#create");
        await create.GetByLabel("Title").FillAsync(title);
        await create.GetByLabel("When it happened").FillAsync("2026-11-20T18:04");
        await create.GetByLabel("Place").FillAsync("Lake St & 14th Ave");
        await create.GetByLabel("Category").SelectOptionAsync("workplace_raid");
        await create.GetByLabel("ICE", new() { Exact = true }).CheckAsync();
        await create.GetByLabel("Affected").FillAsync("12");
        await create.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("open");
        await create.GetByLabel("Status note").FillAsync("gathering statements");
        await create.GetByRole(AriaRole.Button, new() { Name = "Open the file" }).ClickAsync();
        await page.WaitForURLAsync(FilePage());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(title);
        await Expect(page.Locator("#facts")).ToContainTextAsync("Raid at a workplace");
        await Expect(page.Locator("#facts")).ToContainTextAsync("Affected: 12");
        await Expect(page.Locator("#facts")).ToContainTextAsync("gathering statements"); // stored encrypted, read decrypted

        // A timeline entry.
        await page.GetByText("Add a timeline entry").ClickAsync();
        var timeline = page.Locator("#add-timeline");
        await timeline.GetByLabel("Time").FillAsync("2026-11-20T18:10");
        await timeline.GetByLabel("Source (according to whom)").FillAsync("witness 1");
        await timeline.GetByLabel("What happened").FillAsync("Agents blocked the loading dock.");
        await timeline.GetByRole(AriaRole.Button, new() { Name = "Add the entry" }).ClickAsync();
        await Expect(page.Locator("#timeline tr[data-id]")).ToContainTextAsync("Agents blocked the loading dock.");
        await Expect(timeline.Locator(".done")).ToHaveTextAsync("Saved.");

        // A claim, attributed.
        await page.GetByText("Add a claim").ClickAsync();
        var claim = page.Locator("#add-claim");
        await claim.GetByLabel("Who said it").FillAsync("Jane Roe");
        await claim.GetByLabel("Their role").FillAsync("spokesperson");
        await claim.GetByLabel("Their organisation").FillAsync("DHS");
        await claim.GetByLabel("What they said").FillAsync("No one was detained.");
        await claim.GetByLabel("Source address (http or https)").FillAsync("https://example.org/statement");
        await claim.GetByRole(AriaRole.Button, new() { Name = "Add the claim" }).ClickAsync();
        await Expect(page.Locator("#claims li[data-id]")).ToContainTextAsync("Jane Roe (spokesperson, DHS) said: “No one was detained.”");

        // A witness statement: without a consent choice the API's refusal is shown next to the consent field.
        await page.GetByText("Add a witness statement").ClickAsync();
        var witness = page.Locator("#add-witness");
        await witness.GetByLabel("Statement").FillAsync("Four vans arrived at 6 pm; at least ten workers were taken away.");
        await witness.GetByLabel("Name (optional, encrypted)").FillAsync("Maria");
        await witness.GetByRole(AriaRole.Button, new() { Name = "Add the statement" }).ClickAsync();
        await Expect(page.Locator("#wi-consent-error")).ToContainTextAsync("Record the witness's consent");
        await Expect(page.Locator("#witnesses li[data-id]")).ToHaveCountAsync(0);
        await witness.GetByLabel("Legal: may be shared with lawyers").CheckAsync();
        await witness.GetByRole(AriaRole.Button, new() { Name = "Add the statement" }).ClickAsync();
        await Expect(page.Locator("#witnesses li[data-id]")).ToContainTextAsync("Four vans arrived at 6 pm");
        await Expect(page.Locator("#witnesses li[data-id]")).ToContainTextAsync("Maria");
        await Expect(page.Locator("#wi-consent-error")).ToBeEmptyAsync();

        // A follow-up (its description stored encrypted) is listed as written.
        await page.Locator("details:has(#add-followup) > summary").ClickAsync();
        await page.Locator("#fu-description").FillAsync("Call the bakery workers' families back");
        await page.Locator("#fu-owner").FillAsync("documenter@example.org");
        await page.Locator("#add-followup button[type=submit]").ClickAsync();
        await Expect(page.Locator("#followups li[data-id]")).ToContainTextAsync("Call the bakery workers' families back");

        // Evidence through the file input: listed with its SHA-256.
        var bytes = Encoding.UTF8.GetBytes("Notes taken at the bakery, 2026-11-20 18:15.\n");
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await page.GetByText("Upload evidence").ClickAsync();
        var upload = page.Locator("#upload");
        await upload.GetByLabel("File (photo, video, audio, PDF or text)").SetInputFilesAsync(
            new FilePayload { Name = "bakery-notes.txt", MimeType = "text/plain", Buffer = bytes });
        // A "photo" that is text: the API's 415 is shown readably, and nothing is listed.
        await upload.GetByLabel("File (photo, video, audio, PDF or text)").SetInputFilesAsync(
            new FilePayload { Name = "not-a-photo.png", MimeType = "image/png", Buffer = bytes });
        await upload.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(upload.Locator("[data-error-general]")).ToContainTextAsync("File type not accepted: The file does not start the way a image/png file does");
        await Expect(page.Locator("#evidence tr[data-id]")).ToHaveCountAsync(0);
        await upload.GetByLabel("File (photo, video, audio, PDF or text)").SetInputFilesAsync(
            new FilePayload { Name = "bakery-notes.txt", MimeType = "text/plain", Buffer = bytes });
        await upload.GetByLabel("Device").FillAsync("Pixel 7");
        await upload.GetByLabel("Location").FillAsync("Lake St & 14th Ave");
        await upload.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        var item = page.Locator("#evidence tr[data-id]").Filter(new() { HasText = "bakery-notes.txt" });
        await Expect(item).ToContainTextAsync("Pixel 7");
        await Expect(item.Locator("code")).ToHaveAttributeAsync("title", sha);
        await Expect(item.Locator("code")).ToHaveTextAsync(sha[..12] + "…");
        await Expect(upload.Locator(".done")).ToContainTextAsync(sha);

        // The custody log shows every action, and the chain verifies.
        var custody = page.Locator("#custody");
        foreach (var action in new[] { "created", "viewed", "timeline_added", "claim_added", "witness_added", "evidence_added" })
            await Expect(custody.Locator("tr", new() { HasText = action }).First).ToBeVisibleAsync();
        int entries = await custody.Locator("tr[data-seq]").CountAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify custody chain" }).ClickAsync();
        await Expect(page.Locator("#verify-result")).ToHaveTextAsync($"Custody chain intact: {entries} entries");

        await AccessibleAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "console-incident-desktop");
        var fileUrl = page.Url;

        var phone = await browser.NewPageAsync(BrowserFixture.Phone);
        await LoginAsync(phone, who);
        await Expect(phone.Locator("#incidents tr[data-id]").Filter(new() { HasText = title })).ToHaveCountAsync(1);
        await AccessibleAsync(phone);
        await BrowserFixture.ScreenshotAsync(phone, "console-incidents-phone");
        await phone.GotoAsync(fileUrl);
        await Expect(phone.Locator("#evidence tr[data-id]")).ToContainTextAsync("bakery-notes.txt");
        await AccessibleAsync(phone);
        await BrowserFixture.ScreenshotAsync(phone, "console-incident-phone");
    }
}
