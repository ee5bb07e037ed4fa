using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Verification;
using static Microsoft.Playwright.Assertions;

namespace Whistle.Tests.Browser;

/// <summary>
/// Issue 12 §1, the "Seen" in a browser: a report with only "Cedar Ave iyo Riverside" and no map point. The composer
/// used to centre its circle on the city centre and preview it; now it shows no circle and cannot send until the
/// dispatcher looks the intersection up and places the sighting there; then the circle is centred on it.
/// </summary>
public sealed class PlacementBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_unplaced_sighting_has_no_circle_and_no_send_until_the_dispatcher_places_it_from_the_street_lookup()
    {
        var email = $"dispatcher-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = browser.App.Services.CreateAsyncScope())
            Assert.True((await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, Roles.Dispatcher, password)).Succeeded);
        using var http = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        var res = await http.PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", placeText = "Cedar Ave iyo Riverside", channel = "web" });
        var sightingId = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<Guid>();
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            // Verified as the console would (the verification flow has its own tests).
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var s = await db.Sightings.SingleAsync(x => x.Id == sightingId);
            Assert.Null(s.Lat);
            s.State = SightingState.Confirmed;
            await db.SaveChangesAsync();
        }

        var desk = await browser.NewPageAsync(BrowserFixture.Desktop);
        await desk.GotoAsync("/console/login");
        await desk.GetByLabel("E-mail address").FillAsync(email);
        await desk.GetByLabel("Password").FillAsync(password);
        await desk.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await desk.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/console");
        await desk.GotoAsync($"/console/sightings/{sightingId}");

        // No position: the composer says so, shows no map and no circle, and has nothing to send.
        await Expect(desk.Locator("#alert-unplaced")).ToBeVisibleAsync();
        await Expect(desk.Locator("#alert-unplaced")).ToContainTextAsync("Place the sighting first");
        await Expect(desk.Locator("#alert-form")).ToBeHiddenAsync();
        await Expect(desk.GetByRole(AriaRole.Button, new() { Name = "Send alert…" })).ToBeHiddenAsync();
        Assert.Equal(0, await desk.Locator("#alert-map.leaflet-container").CountAsync());
        await Expect(desk.Locator("#placement-title")).ToHaveTextAsync("Place this sighting");

        // The dispatcher looks the reporter's words up and picks the crossing.
        await desk.GetByLabel("Street, intersection, neighbourhood or landmark").FillAsync("Cedar Ave iyo Riverside");
        await desk.GetByRole(AriaRole.Button, new() { Name = "Look up" }).ClickAsync();
        var candidate = desk.Locator("#place-candidates li").First;
        await Expect(desk.Locator("#placement-error")).ToBeEmptyAsync();
        await Expect(candidate).ToContainTextAsync("Cedar Ave S & Riverside Ave · intersection · Cedar Riverside", new() { Timeout = 20_000 });
        var previewed = await desk.RunAndWaitForRequestAsync(
            () => candidate.GetByRole(AriaRole.Button, new() { Name = "Place here" }).ClickAsync(),
            r => r.Url.EndsWith("/api/v1/alerts/preview", StringComparison.Ordinal));

        double lat, lon;
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var s = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Sightings.AsNoTracking().SingleAsync(x => x.Id == sightingId);
            (lat, lon) = (s.Lat!.Value, s.Lon!.Value);
            Assert.Equal("gazetteer", s.PlacedHow);
        }
        Assert.InRange(Whistle.Geo.GeoPoint.Distance(lat, lon, 44.9692, -93.2475), 0, 50);

        // The circle is centred on the placed sighting, which is on the map with the area; the preview works.
        var circle = JsonNode.Parse(previewed.PostData!)!["circle"]!;
        Assert.Equal(lat, circle["lat"]!.GetValue<double>(), 5);
        Assert.Equal(lon, circle["lon"]!.GetValue<double>(), 5);
        await Expect(desk.Locator("#alert-form")).ToBeVisibleAsync();
        await Expect(desk.Locator("#alert-unplaced")).ToBeHiddenAsync();
        await Expect(desk.Locator("#placement-title")).ToHaveTextAsync("Move this sighting");
        await Expect(desk.Locator("#alert-map path.sighting-at")).ToHaveCountAsync(1);
        await Expect(desk.Locator("#messages li[data-lang=en]")).ToContainTextAsync("Cedar Riverside");
        await Expect(desk.Locator("#area-warning")).ToBeHiddenAsync();

        await desk.GetByRole(AriaRole.Button, new() { Name = "Send alert…" }).ClickAsync();
        await desk.GetByRole(AriaRole.Button, new() { Name = "Send now" }).ClickAsync();
        await Expect(desk.Locator("#sent")).ToBeVisibleAsync();
        await using (var scope = browser.App.Services.CreateAsyncScope())
        {
            var alert = await scope.ServiceProvider.GetRequiredService<WhistleDb>().Alerts.AsNoTracking().SingleAsync(a => a.SightingId == sightingId);
            Assert.Equal(lat, alert.CircleLat!.Value, 5);
            Assert.Equal("Cedar Riverside", alert.Place);
        }
    }
}
