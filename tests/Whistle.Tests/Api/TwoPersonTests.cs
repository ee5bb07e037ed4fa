using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12, section 2: the optional two-person rule. With it on, an alert to more than N recipients waits for a second
/// dispatcher: nothing delivered, nothing public, the sighting's one live alert; its author cannot approve it; of two
/// approvers at once one sends; a rejected alert never goes out. Over HTTP, on SQLite and PostgreSQL.
/// </summary>
public abstract class TwoPersonTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static object Circle(double lat, double lon) => new { lat, lon, radiusMeters = 1000 };

    private async Task<Guid> ConfirmedAsync(HttpClient dispatcher, HttpClient verifier, double lat, double lon)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat, lon, agents = 2, agency = "ice" });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var sighting = (await res.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await WhistleApp.SendAsync(dispatcher, verifier, sighting);
        Assert.Equal(HttpStatusCode.OK, (await verifier.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        return Guid.Parse(sighting);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object body, string? key = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (key is not null) req.Headers.TryAddWithoutValidation(IdempotencyFilter.Header, key);
        return client.SendAsync(req);
    }

    private static async Task<JsonObject> BodyAsync(HttpResponseMessage res) => (await res.Content.ReadFromJsonAsync<JsonObject>())!;

    private async Task RuleAsync(bool enabled, int? above = null)
    {
        var admin = await app.StaffAsync(Roles.Admin);
        var res = await admin.PutAsJsonAsync("/api/v1/admin/two-person", new { enabled, above });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
    }

    private async Task<int> DeliveriesAsync(string alertId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        // The recipients queued for delivery: the fan-out's order (delivery rows are created as a lane claims them).
        var id = Guid.Parse(alertId);
        return await db.Fanouts.Where(f => f.AlertId == id).SumAsync(f => f.Total);
    }

    /// <summary>A confirmed sighting with <paramref name="people"/> subscribers around it, and the alert body for it.</summary>
    private async Task<(Guid Sighting, object Body)> SightingWithPeopleAsync(HttpClient dispatcher, double lat, double lon, int people, int first)
    {
        var verifier = await app.StaffAsync(Roles.Verifier);
        await Seed.SubscribersAsync(app, people, lat, lon, SubscriberChannel.Sms, first: first);
        var sighting = await ConfirmedAsync(dispatcher, verifier, lat, lon);
        return (sighting, new { sightingId = sighting, circle = Circle(lat, lon) });
    }

    [Fact]
    public async Task With_the_rule_off_an_alert_goes_out_at_once_as_before()
    {
        await RuleAsync(false);
        var dispatcher = await app.StaffAsync(Roles.Dispatcher);
        var (_, body) = await SightingWithPeopleAsync(dispatcher, 45.10, -94.10, 3, 8100);
        var res = await PostAsync(dispatcher, "/api/v1/alerts", body);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        Assert.Equal(3, await DeliveriesAsync((await BodyAsync(res))["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Above_N_the_alert_waits_sends_nothing_is_not_public_blocks_a_second_send_and_its_author_cannot_approve_it()
    {
        await RuleAsync(true, 2);
        var (author, second) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Dispatcher));
        var (sighting, body) = await SightingWithPeopleAsync(author, 45.20, -94.20, 3, 8200);

        var res = await PostAsync(author, "/api/v1/alerts", body);
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var pending = await BodyAsync(res);
        var id = pending["id"]!.GetValue<string>();
        Assert.Equal("pending_approval", pending["state"]!.GetValue<string>());
        Assert.Equal(3, pending["recipients"]!.GetValue<int>());
        Assert.Equal(0, await DeliveriesAsync(id));

        // Not public: not on the map, not in the Atom feed, no CAP message.
        var active = await app.CreateClient().GetStringAsync("/api/v1/alerts/active");
        Assert.DoesNotContain(id, active);
        var atom = await app.CreateClient().GetStringAsync("/feeds/alerts.atom");
        Assert.DoesNotContain(id, atom);
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync($"/api/v1/alerts/{id}.cap")).StatusCode);

        // It is the sighting's live alert: a second send (by anyone) is refused naming it.
        var again = await PostAsync(second, "/api/v1/alerts", body);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(id, (await BodyAsync(again))["activeAlertId"]!.GetValue<string>());
        // Nor can it be updated or cancelled before it is approved.
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(author, $"/api/v1/alerts/{id}/update", new { place = "x" })).StatusCode);

        // The author approving their own alert is refused, with the reason.
        var own = await PostAsync(author, $"/api/v1/alerts/{id}/approve", new { });
        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
        Assert.Contains("second dispatcher", (await BodyAsync(own))["detail"]!.GetValue<string>());
        Assert.Equal(0, await DeliveriesAsync(id));

        var view = await second.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}");
        Assert.Equal("pending_approval", view!["state"]!.GetValue<string>());
        Assert.NotNull(view["author"]);
        Assert.Null(view["approvedBy"]);

        // A second dispatcher approves: delivered once, now public, the approver on the record.
        var key = Guid.NewGuid().ToString();
        var approved = await PostAsync(second, $"/api/v1/alerts/{id}/approve", new { }, key);
        Assert.Equal(HttpStatusCode.Created, approved.StatusCode);
        Assert.Equal(3, await DeliveriesAsync(id));
        var replay = await PostAsync(second, $"/api/v1/alerts/{id}/approve", new { }, key);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(second, $"/api/v1/alerts/{id}/approve", new { })).StatusCode);
        Assert.Equal(3, await DeliveriesAsync(id));
        view = await second.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}");
        Assert.Equal("active", view!["state"]!.GetValue<string>());
        Assert.NotNull(view["approvedBy"]);
        Assert.NotNull(view["approvedAt"]);
        Assert.NotEqual(view["author"]!.GetValue<string>(), view["approvedBy"]!.GetValue<string>());
        Assert.Contains(id, await app.CreateClient().GetStringAsync("/api/v1/alerts/active"));
        Assert.Contains(id, await app.CreateClient().GetStringAsync("/feeds/alerts.atom"));
        Assert.Equal(sighting, Guid.Parse(view["sightingId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Two_approvers_at_once_make_one_delivery_set()
    {
        await RuleAsync(true, 2);
        var author = await app.StaffAsync(Roles.Dispatcher);
        var approvers = new[] { await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Admin) };
        var (_, body) = await SightingWithPeopleAsync(author, 45.30, -94.30, 4, 8300);
        var id = (await BodyAsync(await PostAsync(author, "/api/v1/alerts", body)))["id"]!.GetValue<string>();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => PostAsync(approvers[i % 3], $"/api/v1/alerts/{id}/approve", new { })));
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.Equal(4, await DeliveriesAsync(id));
    }

    [Fact]
    public async Task A_rejected_alert_is_never_sent_and_the_sighting_can_be_alerted_again()
    {
        await RuleAsync(true, 2);
        var (author, second) = (await app.StaffAsync(Roles.Dispatcher), await app.StaffAsync(Roles.Dispatcher));
        var (_, body) = await SightingWithPeopleAsync(author, 45.40, -94.40, 3, 8400);
        var id = (await BodyAsync(await PostAsync(author, "/api/v1/alerts", body)))["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(second, $"/api/v1/alerts/{id}/reject", new { reason = "" })).StatusCode);
        var rejected = await PostAsync(second, $"/api/v1/alerts/{id}/reject", new { reason = "wrong area, the sighting is across the river" });
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal("rejected", (await BodyAsync(rejected))["state"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(second, $"/api/v1/alerts/{id}/approve", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(author, $"/api/v1/alerts/{id}/reject", new { reason = "again" })).StatusCode);
        Assert.Equal(0, await DeliveriesAsync(id));
        var view = await second.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}");
        Assert.Equal("rejected", view!["state"]!.GetValue<string>());
        Assert.NotNull(view["rejectedBy"]);
        Assert.DoesNotContain(id, await app.CreateClient().GetStringAsync("/feeds/alerts.atom"));

        // The sighting can be alerted again; the author may withdraw their own.
        var retry = await PostAsync(author, "/api/v1/alerts", body);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var retryId = (await BodyAsync(retry))["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(author, $"/api/v1/alerts/{retryId}/reject", new { reason = "withdrawn, I will redraw it" })).StatusCode);
        Assert.Equal(0, await DeliveriesAsync(retryId));
    }

    [Fact]
    public async Task At_or_below_N_and_drills_to_the_test_audience_need_no_approval()
    {
        await RuleAsync(true, 3);
        var dispatcher = await app.StaffAsync(Roles.Dispatcher);
        var (_, body) = await SightingWithPeopleAsync(dispatcher, 45.50, -94.50, 3, 8500);
        var res = await PostAsync(dispatcher, "/api/v1/alerts", body);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        Assert.Equal(3, await DeliveriesAsync((await BodyAsync(res))["id"]!.GetValue<string>()));

        await RuleAsync(true, 0);
        await Seed.SubscribersAsync(app, 2, 45.60, -94.60, SubscriberChannel.Sms, first: 8600, drills: true);
        var drill = await PostAsync(dispatcher, "/api/v1/alerts", new { drill = true, circle = Circle(45.60, -94.60) });
        Assert.Equal(HttpStatusCode.Created, drill.StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_reads_or_changes_the_rule_and_bad_settings_are_problems()
    {
        foreach (var role in new[] { Roles.Dispatcher, Roles.Verifier, Roles.Documenter })
        {
            var staff = await app.StaffAsync(role);
            Assert.Equal(HttpStatusCode.Forbidden, (await staff.PutAsJsonAsync("/api/v1/admin/two-person", new { enabled = true, above = 1 })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync("/api/v1/admin/two-person")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PutAsJsonAsync("/api/v1/admin/two-person", new { enabled = true, above = 1 })).StatusCode);
        var admin = await app.StaffAsync(Roles.Admin);
        var bad = await admin.PutAsJsonAsync("/api/v1/admin/two-person", new { enabled = true, above = -5 });
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/admin/two-person", new { enabled = true, above = 250 })).StatusCode);
        var got = await admin.GetFromJsonAsync<JsonObject>("/api/v1/admin/two-person");
        Assert.True(got!["enabled"]!.GetValue<bool>());
        Assert.Equal(250, got["above"]!.GetValue<int>());
        await RuleAsync(false);
        got = await admin.GetFromJsonAsync<JsonObject>("/api/v1/admin/two-person");
        Assert.False(got!["enabled"]!.GetValue<bool>());
    }
}

public sealed class TwoPersonTestsSqlite(SqliteApp app) : TwoPersonTests<SqliteApp>(app);

public sealed class TwoPersonTestsPostgres(PostgresApp app) : TwoPersonTests<PostgresApp>(app);
