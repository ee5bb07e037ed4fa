using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12 §3, "a drill never reaches the public". Seen: a drill alert went to all 286 real subscribers in its circle.
/// Now a drill goes to the test audience — staff with a contact and subscribers who opted into drills — and only an
/// admin, with a recorded reason, can send one to the general public.
/// </summary>
public abstract class DrillAudienceTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static object Circle(double lat, double lon, int radius = 1000) => new { lat, lon, radiusMeters = radius };

    private async Task<string> StaffContactAsync(string phone)
    {
        var verifier = await app.StaffAsync("verifier");
        var id = await WhistleApp.IdAsync(verifier);
        var admin = await app.StaffAsync("admin");
        var set = await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { language = "en", contact = new { channel = "sms", address = phone } });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        return phone;
    }

    private static async Task<Guid> CreatedAsync(HttpResponseMessage res)
    {
        Assert.True(res.StatusCode == HttpStatusCode.Created, $"{res.StatusCode}: {await res.Content.ReadAsStringAsync()}");
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
    }

    private async Task<int> AlertCountAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<WhistleDb>().Alerts.CountAsync();
    }

    [Fact]
    public async Task A_drill_in_a_circle_with_real_subscribers_reaches_only_opted_in_subscribers_and_staff()
    {
        var (lat, lon) = (45.31, -93.91);
        // The real public in the circle: 40 subscribers who never asked for drills.
        var residents = await Seed.SubscribersAsync(app, 40, lat, lon, first: 3000, drills: false);
        // Two who ticked "also send me drills" on sign-up (through the API, as /subscribe does).
        var client = app.CreateClient();
        await app.SubscribeAsync(client, "email", "drill-yes-1@example.org", "es", circle: Circle(lat, lon, 300));
        await app.SubscribeAsync(client, "email", "drill-yes-2@example.org", "en", circle: Circle(lat, lon + 0.001, 300));
        // One who subscribed without ticking it.
        await app.SubscribeAsync(client, "email", "drill-no@example.org", "en", circle: Circle(lat, lon, 300), drills: false);
        // A staff member with a contact phone, far from the circle: staff test the pipeline wherever they are.
        var staffPhone = await StaffContactAsync("+16125558801");

        var dispatcher = await app.StaffAsync("dispatcher");
        var preview = await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", new { drill = true, circle = Circle(lat, lon) });
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        var p = (await preview.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("test", p["audience"]!.GetValue<string>());
        Assert.Equal(2, p["optedInRecipients"]!.GetValue<int>());
        Assert.True(p["staffRecipients"]!.GetValue<int>() >= 1);
        int staffCount = p["staffRecipients"]!.GetValue<int>();
        Assert.Equal(2 + staffCount, p["recipients"]!.GetValue<int>());

        var id = await CreatedAsync(await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = Circle(lat, lon) }));
        var sent = await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Equal("test", sent["audience"]!.GetValue<string>());
        Assert.Equal(2 + staffCount, sent["recipients"]!.GetValue<int>());

        var lines = app.Outbox().Where(l => l.AlertId == id).ToList();
        var to = lines.Select(l => l.Recipient).ToHashSet();
        Assert.Contains("drill-yes-1@example.org", to);
        Assert.Contains("drill-yes-2@example.org", to);
        Assert.Contains(staffPhone, to);
        Assert.DoesNotContain("drill-no@example.org", to);
        Assert.DoesNotContain(residents, to.Contains);
        Assert.Equal(2 + staffCount, lines.Count);
        // Every message says it is a drill, in the reader's language.
        Assert.Contains("SIMULACRO", lines.Single(l => l.Recipient == "drill-yes-1@example.org").Text);
        Assert.All(lines.Where(l => l.Language == "en"), l => Assert.Contains("DRILL", l.Text));

        // Still never public: not on the map, not in the CAP feed, no CAP document.
        var anonymous = app.CreateClient();
        Assert.DoesNotContain(id.ToString(), await anonymous.GetStringAsync("/api/v1/alerts/active"));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/v1/alerts/{id}.cap")).StatusCode);
        Assert.DoesNotContain(id.ToString(), await anonymous.GetStringAsync("/feeds/alerts.atom"));

        // A cancel of the drill goes to the same test audience, never to the residents.
        var cancel = await CreatedAsync(await dispatcher.PostAsJsonAsync($"/api/v1/alerts/{id}/cancel", new { reason = "all_clear" }));
        await WhistleApp.DeliveredAsync(dispatcher, cancel);
        Assert.DoesNotContain(app.Outbox(), l => l.AlertId == cancel && residents.Contains(l.Recipient));
    }

    [Fact]
    public async Task A_dispatcher_cannot_send_a_drill_to_the_general_public()
    {
        var (lat, lon) = (45.41, -94.11);
        await Seed.SubscribersAsync(app, 5, lat, lon, first: 3100, drills: false);
        var dispatcher = await app.StaffAsync("dispatcher");
        int before = await AlertCountAsync();

        var asked = new { drill = true, circle = Circle(lat, lon), audience = "public", audienceReason = "Citywide siren test with the mayor's office" };
        var refused = await dispatcher.PostAsJsonAsync("/api/v1/alerts", asked);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsJsonAsync("/api/v1/alerts/preview", asked)).StatusCode);
        // A test audience is only for drills; a real alert cannot be narrowed to it either.
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { circle = Circle(lat, lon), audience = "test", sightingId = Guid.NewGuid() })).StatusCode);
        Assert.Equal(before, await AlertCountAsync());
        Assert.DoesNotContain(app.Outbox(), l => l.Recipient.StartsWith("+16125553", StringComparison.Ordinal) && l.AlertId is not null);
    }

    [Fact]
    public async Task An_admin_can_send_a_drill_to_the_general_public_only_with_a_reason_which_is_recorded()
    {
        var (lat, lon) = (45.51, -94.31);
        var residents = await Seed.SubscribersAsync(app, 6, lat, lon, first: 3200, drills: false);
        var admin = await app.StaffAsync("admin");

        var noReason = await admin.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = Circle(lat, lon), audience = "public" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noReason.StatusCode);

        const string why = "Annual full-network test announced in every language";
        var id = await CreatedAsync(await admin.PostAsJsonAsync("/api/v1/alerts",
            new { drill = true, circle = Circle(lat, lon), audience = "public", audienceReason = why }));
        var sent = await WhistleApp.DeliveredAsync(admin, id);
        Assert.Equal("public", sent["audience"]!.GetValue<string>());
        Assert.Equal(why, sent["audienceReason"]!.GetValue<string>());
        Assert.True(sent["drill"]!.GetValue<bool>());
        var to = app.Outbox().Where(l => l.AlertId == id).Select(l => l.Recipient).ToHashSet();
        Assert.Equal(residents.Order(), to.Order());
        Assert.All(app.Outbox().Where(l => l.AlertId == id), l => Assert.Contains("DRILL", l.Text));
        // Even to the public, a drill stays out of the public feeds.
        Assert.DoesNotContain(id.ToString(), await app.CreateClient().GetStringAsync("/api/v1/alerts/active"));
    }
}

public sealed class DrillAudienceTestsSqlite(SqliteApp a) : DrillAudienceTests<SqliteApp>(a);
public sealed class DrillAudienceTestsPostgres(PostgresApp a) : DrillAudienceTests<PostgresApp>(a);
