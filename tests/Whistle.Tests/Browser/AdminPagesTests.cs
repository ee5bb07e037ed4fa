using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Identity;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// The admin pages in a real browser: an admin creates a verifier with an SMS contact and a home zone (who
/// then logs in with the password shown once), imports zones from a GeoJSON file, changes a retention period.
/// Each page passes axe and is photographed at phone and desktop size.
/// </summary>
public sealed class AdminPagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private async Task<(string Email, string Password)> AdminAsync()
    {
        var email = $"admin-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using var scope = browser.App.Services.CreateAsyncScope();
        Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Admin, password)).Succeeded);
        return (email, password);
    }

    private static async Task LoginAsync(IPage page, (string Email, string Password) who, string landsOn)
    {
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(who.Email);
        await page.GetByLabel("Password").FillAsync(who.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == landsOn);
    }

    private static async Task AccessibleAsync(IPage page)
    {
        var violations = await BrowserFixture.SeriousAccessibilityViolationsAsync(page);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
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

    [Fact]
    public async Task An_admin_creates_a_verifier_with_an_sms_contact_and_home_zone_who_logs_in_with_the_password_shown_once()
    {
        var admin = await AdminAsync();
        var page = await browser.NewPageAsync(BrowserFixture.Desktop);
        await LoginAsync(page, admin, "/console");
        var link = page.GetByRole(AriaRole.Link, new() { Name = "Users" });
        await Expect(link).ToBeVisibleAsync();
        await link.ClickAsync();
        await page.WaitForURLAsync("**/console/admin/users");
        await Expect(page.Locator($"#users tr[data-email='{admin.Email}']")).ToBeVisibleAsync();

        var create = page.Locator("#create");
        var email = $"sam-{Guid.NewGuid():N}@staff.test";
        // A bad phone number is refused next to its field.
        await create.GetByLabel("E-mail address", new() { Exact = true }).FillAsync(email);
        await create.GetByLabel("Role").SelectOptionAsync("verifier");
        await create.GetByLabel("Contact channel").SelectOptionAsync("sms");
        await create.GetByLabel("Phone number (+16125550123) or e-mail address").FillAsync("555");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.Locator("#n-address-error")).ToContainTextAsync("E.164");
        await Expect(create.GetByLabel("Phone number (+16125550123) or e-mail address")).ToHaveAttributeAsync("aria-invalid", "true");

        await create.GetByLabel("Language of their messages").SelectOptionAsync("es");
        await create.GetByLabel("Home zone").SelectOptionAsync(new SelectOptionValue { Label = "Victory" });
        await create.GetByLabel("Phone number (+16125550123) or e-mail address").FillAsync("+16125550142");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.Locator("#n-secret")).ToBeVisibleAsync();
        await Expect(page.Locator("#n-secret")).ToContainTextAsync("pass it on in person");
        var password = (await page.Locator("#n-secret-value").TextContentAsync())!.Trim();
        Assert.True(password.Length >= 12);
        var row = page.Locator($"#users tr[data-email='{email}']");
        await Expect(row).ToContainTextAsync("Verifier");
        await Expect(row).ToContainTextAsync("Victory");
        await Expect(row).ToContainTextAsync("SMS …0142");
        await Expect(page.Locator("#users")).Not.ToContainTextAsync("6125550142");
        await AccessibleAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "console-admin-users-desktop");

        // The verifier logs in with the password shown once, on a phone.
        var phone = await browser.NewPageAsync(BrowserFixture.Phone);
        await LoginAsync(phone, (email, password), "/console/verify");

        // Put on duty from the editor, opened with the keyboard.
        await row.GetByRole(AriaRole.Button, new() { Name = "Edit " + email }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#editor-title")).ToBeFocusedAsync();
        await page.Locator("#edit").GetByLabel("On duty").CheckAsync();
        await page.Locator("#edit").GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.Locator("#e-done")).ToHaveTextAsync("Saved.");
        await Expect(row).ToContainTextAsync("On duty");
        await AccessibleAsync(page);

        var adminPhone = await browser.NewPageAsync(BrowserFixture.Phone);
        await LoginAsync(adminPhone, admin, "/console");
        await adminPhone.GotoAsync("/console/admin/users");
        await Expect(adminPhone.Locator($"#users tr[data-email='{email}']")).ToBeVisibleAsync();
        await AccessibleAsync(adminPhone);
        await BrowserFixture.ScreenshotAsync(adminPhone, "console-admin-users-phone");
    }

    [Fact]
    public async Task An_admin_imports_zones_from_a_file_and_sees_the_counts_or_the_fault()
    {
        var admin = await AdminAsync();
        var page = await browser.NewPageAsync(BrowserFixture.Desktop);
        await LoginAsync(page, admin, "/console");
        await page.GetByRole(AriaRole.Link, new() { Name = "Zones" }).ClickAsync();
        await page.WaitForURLAsync("**/console/admin/zones");
        var before = browser.App.Services.GetRequiredService<Whistle.Geo.ZoneRegistry>().Current.All.Count;
        await Expect(page.Locator("#zone-count")).ToHaveTextAsync($"{before} zones");
        await Expect(page.Locator("#zones-map path.leaflet-interactive").First).ToBeVisibleAsync();

        var dir = Directory.CreateTempSubdirectory("whistle-zones-").FullName;
        var good = Path.Combine(dir, "zones.geojson");
        await File.WriteAllTextAsync(good, """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"BDNAME":"Browser Meadow"},"geometry":{"type":"Polygon","coordinates":[[[-93.20,44.90],[-93.19,44.90],[-93.19,44.91],[-93.20,44.91],[-93.20,44.90]]]}}
            ]}
            """);
        var bad = Path.Combine(dir, "bad.geojson");
        await File.WriteAllTextAsync(bad, """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"name":"Just a point"},"geometry":{"type":"Point","coordinates":[-93.2,44.9]}}
            ]}
            """);

        // Nothing chosen, then a bad file: the reason, with the feature's number; nothing changes.
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Expect(page.Locator("#z-file-error")).ToHaveTextAsync("Choose a GeoJSON file first.");
        await page.GetByLabel("GeoJSON file (a FeatureCollection of polygons)").SetInputFilesAsync(bad);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Expect(page.Locator("#z-error")).ToContainTextAsync("Feature 0 (\"Just a point\"): its geometry is a Point");
        await Expect(page.Locator("#zone-count")).ToHaveTextAsync($"{before} zones");

        await page.GetByLabel("GeoJSON file (a FeatureCollection of polygons)").SetInputFilesAsync(good);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Expect(page.Locator("#z-result")).ToContainTextAsync($"1 added, 0 updated, 0 unchanged, {before} kept (not in the file). {before + 1} zones in all.");
        await Expect(page.Locator("#zone-count")).ToHaveTextAsync($"{before + 1} zones");
        await Expect(page.Locator("#z-error")).ToBeEmptyAsync();
        await AccessibleAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "console-admin-zones-desktop");
        var zones = await new HttpClient { BaseAddress = new Uri(browser.BaseUrl) }.GetStringAsync("/api/v1/zones");
        Assert.Contains("Browser Meadow", zones);

        var phone = await browser.NewPageAsync(BrowserFixture.Phone);
        await LoginAsync(phone, admin, "/console");
        await phone.GotoAsync("/console/admin/zones");
        await Expect(phone.Locator("#zone-count")).ToHaveTextAsync($"{before + 1} zones");
        await AccessibleAsync(phone);
        await BrowserFixture.ScreenshotAsync(phone, "console-admin-zones-phone");
    }

    [Fact]
    public async Task An_admin_changes_a_retention_period_and_a_value_out_of_bounds_is_refused_next_to_it()
    {
        var admin = await AdminAsync();
        var page = await browser.NewPageAsync(BrowserFixture.Desktop);
        await LoginAsync(page, admin, "/console");
        await page.GetByRole(AriaRole.Link, new() { Name = "Retention" }).ClickAsync();
        await page.WaitForURLAsync("**/console/admin/retention");
        var contact = page.GetByLabel("Reporters' call-back contacts (hours)");
        await Expect(page.Locator("[data-hint-for=reporterContactHours]")).ToHaveTextAsync("Default: 48 (in use) · Allowed: 1–720");
        await Expect(contact).ToHaveValueAsync("");

        await contact.FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("#r-reporterContactHours-error")).ToContainTextAsync("between 1 hour and 720 hours");
        await Expect(contact).ToHaveAttributeAsync("aria-invalid", "true");

        await contact.FillAsync("36");
        await page.GetByLabel("Delivery records of expired alerts (days)").FillAsync("90");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("#r-done")).ToHaveTextAsync("Saved.");
        await Expect(page.Locator("[data-hint-for=reporterContactHours]")).ToHaveTextAsync("Default: 48 · Allowed: 1–720");
        await Expect(page.Locator("#r-reporterContactHours-error")).ToBeEmptyAsync();
        var saved = (await (await ApiAsync(admin)).GetFromJsonAsync<JsonObject>("/api/v1/retention"))!;
        Assert.Equal(36, saved["reporterContactHours"]!["value"]!.GetValue<double>());
        Assert.Equal(90, saved["deliveryRecordDays"]!["value"]!.GetValue<double>());
        Assert.True(saved["unsubscribedAddressHours"]!["isDefault"]!.GetValue<bool>());
        await AccessibleAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "console-admin-retention-desktop");

        // The public report page now says 36 hours.
        var report = await browser.NewPageAsync(BrowserFixture.Phone);
        await report.GotoAsync("/report?lang=en");
        await Expect(report.Locator("#hint-contact")).ToContainTextAsync("deleted after 36 hours");

        var phone = await browser.NewPageAsync(BrowserFixture.Phone);
        await LoginAsync(phone, admin, "/console");
        await phone.GotoAsync("/console/admin/retention");
        await Expect(phone.GetByLabel("Reporters' call-back contacts (hours)")).ToHaveValueAsync("36");
        await AccessibleAsync(phone);
        await BrowserFixture.ScreenshotAsync(phone, "console-admin-retention-phone");

        // Back to the default: empty field.
        await phone.GetByLabel("Reporters' call-back contacts (hours)").FillAsync("");
        await phone.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(phone.Locator("[data-hint-for=reporterContactHours]")).ToHaveTextAsync("Default: 48 (in use) · Allowed: 1–720");
    }
}
