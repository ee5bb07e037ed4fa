using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Incidents;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>With no time-stamping authority configured, the incident page says the custody log is not independently timestamped, in the reader's language.</summary>
public sealed class CustodyPinPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Without_a_TSA_the_incident_page_says_not_independently_timestamped_in_each_language()
    {
        var email = $"documenter-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        Guid incident;
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Documenter, password)).Succeeded);
            incident = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Incidents.Where(i => i.Title == DemoIncident.Title).Select(i => i.Id).SingleAsync();
        }
        var page = await browser.NewPageAsync(BrowserFixture.Desktop);
        await page.GotoAsync("/console/login");
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console/incidents");

        await page.GotoAsync($"/console/incidents/{incident}");
        var pin = page.Locator("#custody-pin");
        // The words come after the file and its custody log have loaded: on a loaded machine that can take a while.
        await Expect(pin).ToContainTextAsync("Not independently timestamped", new() { Timeout = 20_000 });
        await Expect(pin).ToHaveAttributeAsync("data-timestamped", "false");

        await page.GotoAsync($"/console/incidents/{incident}?lang=es");
        await Expect(pin).ToContainTextAsync("Sin sello de tiempo independiente", new() { Timeout = 20_000 });
    }
}
