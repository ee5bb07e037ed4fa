using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Api;

/// <summary>The admin part of the console's API: staff users and roles, zones from GeoJSON, retention periods.</summary>
public abstract class AdminTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static async Task<HttpStatusCode> LoginStatusAsync(WhistleApp app, string email, string password) =>
        (await app.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email, password })).StatusCode;

    private static async Task<HttpClient> LoginAsync(WhistleApp app, string email, string password)
    {
        var client = app.CreateClient();
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonObject> CreateAsync(HttpClient admin, object body)
    {
        var res = await admin.PostAsJsonAsync("/api/v1/users", body);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<T> InDbAsync<T>(WhistleApp app, Func<WhistleDb, Task<T>> read)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<WhistleDb>());
    }

    // ---- Users and roles ----

    [Fact]
    public async Task An_admin_creates_a_verifier_whose_one_time_password_logs_in_and_the_list_masks_the_contact()
    {
        var admin = await app.StaffAsync("admin");
        var email = $"sam-{Guid.NewGuid():N}@staff.test";
        var created = await CreateAsync(admin, new
        {
            email, role = "verifier", language = "es", homeZoneId = 3,
            contact = new { channel = "sms", address = "+1 612 555 0123" },
        });
        var password = created["password"]!.GetValue<string>();
        Assert.True(password.Length >= 12);
        var user = created["user"]!;
        Assert.Equal(["verifier"], user["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("es", user["language"]!.GetValue<string>());
        Assert.Equal("Victory", user["homeZone"]!.GetValue<string>());
        Assert.Equal("sms", user["contact"]!["channel"]!.GetValue<string>());
        Assert.Equal("…0123", user["contact"]!["hint"]!.GetValue<string>());
        Assert.True(user["contact"]!["reachable"]!.GetValue<bool>());

        // The password shown once works; the account is a verifier.
        var verifier = await LoginAsync(app, email, password);
        var me = await verifier.GetFromJsonAsync<JsonObject>("/api/v1/auth/me");
        Assert.Equal(["verifier"], me!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        var duty = await verifier.GetFromJsonAsync<JsonObject>("/api/v1/roster/me");
        Assert.True(duty!["reachable"]!.GetValue<bool>());

        // The list never holds the full address.
        var listText = await admin.GetStringAsync("/api/v1/users");
        Assert.Contains(email, listText);
        Assert.DoesNotContain("6125550123", listText);
        Assert.DoesNotContain("PasswordHash", listText, StringComparison.OrdinalIgnoreCase);

        // Same e-mail again: 409 with problem details.
        var again = await admin.PostAsJsonAsync("/api/v1/users", new { email = email.ToUpperInvariant(), role = "dispatcher" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);

        // A new password: shown once, the old one stops working.
        var reset = await admin.PostAsync($"/api/v1/users/{user["id"]}/password", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var newPassword = (await reset.Content.ReadFromJsonAsync<JsonObject>())!["password"]!.GetValue<string>();
        Assert.NotEqual(password, newPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatusAsync(app, email, password));
        Assert.Equal(HttpStatusCode.OK, await LoginStatusAsync(app, email, newPassword));
    }

    [Fact]
    public async Task Bad_input_gets_a_400_naming_each_field_and_non_admins_are_refused()
    {
        var admin = await app.StaffAsync("admin");
        var res = await admin.PostAsJsonAsync("/api/v1/users", new
        {
            email = "not-an-address", role = "boss", language = "fr", homeZoneId = 9999, contact = new { channel = "sms", address = "555" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var errors = (await res.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(["contact.address", "email", "homeZoneId", "language", "role"], errors.Select(e => e.Key).Order());
        Assert.Contains("E.164", errors["contact.address"]![0]!.GetValue<string>());

        var webhook = await admin.PostAsJsonAsync("/api/v1/users", new { email = "w@staff.test", role = "verifier", contact = new { channel = "webhook", address = "https://example.org/h" } });
        Assert.Equal(HttpStatusCode.BadRequest, webhook.StatusCode);
        var edit = await admin.PutAsJsonAsync($"/api/v1/users/{Guid.NewGuid()}", new { clear = new[] { "password" } });
        Assert.Equal(HttpStatusCode.BadRequest, edit.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync($"/api/v1/users/{Guid.NewGuid()}", new { onDuty = true })).StatusCode);

        foreach (var role in new[] { "dispatcher", "verifier" })
        {
            var staff = await app.StaffAsync(role);
            Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync("/api/v1/users")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await staff.PostAsJsonAsync("/api/v1/users", new { email = "x@staff.test", role = "admin" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync("/api/v1/retention")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/v1/users")).StatusCode);
    }

    [Fact]
    public async Task The_last_enabled_admin_cannot_be_demoted_or_disabled_and_a_disabled_account_cannot_log_in()
    {
        using var own = new CustomApp([]);
        var me = await own.StaffAsync("admin");
        var users = (await me.GetFromJsonAsync<JsonArray>("/api/v1/users"))!;
        var demoAdmin = users.Single(u => u!["email"]!.GetValue<string>() == "admin@demo.whistle.invalid")!;
        var mine = users.Single(u => u!["email"]!.GetValue<string>().EndsWith("@staff.test"))!;
        // Two admins: one may be disabled.
        var disabled = await me.PutAsJsonAsync($"/api/v1/users/{demoAdmin["id"]}", new { disabled = true });
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.True((await disabled.Content.ReadFromJsonAsync<JsonObject>())!["disabled"]!.GetValue<bool>());

        // Now I am the only enabled admin.
        var demote = await me.PutAsJsonAsync($"/api/v1/users/{mine["id"]}", new { role = "dispatcher" });
        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
        Assert.Contains("no enabled admin", (await demote.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await me.PutAsJsonAsync($"/api/v1/users/{mine["id"]}", new { disabled = true })).StatusCode);
        Assert.Equal(["admin"], (await me.GetFromJsonAsync<JsonArray>("/api/v1/users"))!
            .Single(u => u!["id"]!.GetValue<string>() == mine["id"]!.GetValue<string>())!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        // A disabled account cannot log in, even with a fresh password; enabled again, it can.
        var email = $"gone-{Guid.NewGuid():N}@staff.test";
        var created = await CreateAsync(me, new { email, role = "dispatcher" });
        var id = created["user"]!["id"]!.GetValue<string>();
        var session = await LoginAsync(own, email, created["password"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/api/v1/sightings")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await me.PutAsJsonAsync($"/api/v1/users/{id}", new { disabled = true })).StatusCode);
        // The token it already had stops working at once.
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/v1/sightings")).StatusCode);
        var fresh = (await (await me.PostAsync($"/api/v1/users/{id}/password", null)).Content.ReadFromJsonAsync<JsonObject>())!["password"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatusAsync(own, email, fresh));
        var enabled = await me.PutAsJsonAsync($"/api/v1/users/{id}", new { disabled = false });
        Assert.False((await enabled.Content.ReadFromJsonAsync<JsonObject>())!["disabled"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, await LoginStatusAsync(own, email, fresh));

        // With a second enabled admin, I may step down.
        Assert.Equal(HttpStatusCode.OK, (await me.PutAsJsonAsync($"/api/v1/users/{id}", new { role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await me.PutAsJsonAsync($"/api/v1/users/{mine["id"]}", new { role = "dispatcher" })).StatusCode);
    }

    [Fact]
    public async Task A_staff_contact_is_a_subscriber_that_dispatch_reaches_and_a_city_wide_alert_never_does()
    {
        var admin = await app.StaffAsync("admin");
        var phone = "+16125550177";
        var created = await CreateAsync(admin, new { email = $"v-{Guid.NewGuid():N}@staff.test", role = "verifier", homeZoneId = 5,
            contact = new { channel = "sms", address = phone } });
        var id = created["user"]!["id"]!.GetValue<string>();
        var contactId = await InDbAsync(app, db => db.Users.Where(u => u.Id == id).Select(u => u.ContactSubscriberId).SingleAsync());
        var row = await InDbAsync(app, db => db.Subscribers.AsNoTracking().SingleAsync(s => s.Id == contactId));
        Assert.Equal(SubscriberState.Confirmed, row.State);
        Assert.Equal("", row.Zones);
        Assert.Null(row.CircleLat);
        Assert.Null(row.AreaCipher);
        Assert.True(StaffContact.IsStaffOnly(row));

        // An alert over every zone of the city and a 30 km circle: the contact is not among its recipients.
        var dispatcher = await app.StaffAsync("dispatcher");
        await Seed.SubscribersAsync(app, 2, 44.95, -93.26, first: 7100);
        var all = app.Services.GetRequiredService<ZoneRegistry>().Current.All.Select(z => z.Id).ToArray();
        // A drill to the general public (an admin's override): a drill to the test audience would reach staff contacts by design.
        var sent = await admin.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = all, circle = new { lat = 44.97, lon = -93.26, radiusMeters = 30000 }, audience = "public", audienceReason = "Test: area targeting never picks a staff contact" });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var alertId = Guid.Parse((await sent.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, alertId);
        Assert.Contains(app.Outbox(), l => l.AlertId == alertId && l.Recipient == "+16125557100");
        Assert.DoesNotContain(app.Outbox(), l => l.AlertId == alertId && l.Recipient == phone);
        Assert.False(await InDbAsync(app, db => db.Deliveries.AnyAsync(d => d.SubscriberId == contactId)));

        // Dispatch does reach the verifier, through the outbox.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { onDuty = true })).StatusCode);
        var report = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = 44.9486, lon = -93.2561 });
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        var dispatched = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { verifierIds = new[] { id } });
        Assert.Equal(HttpStatusCode.OK, dispatched.StatusCode);
        Assert.True((await dispatched.Content.ReadFromJsonAsync<JsonObject>())!["sent"]![0]!["messaged"]!.GetValue<bool>());
        await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().Any(l => l.AlertId is null && l.Recipient == phone)), x => x, "the dispatch message");

        // A new contact points at a new row; the old staff-only row is unsubscribed (its address wiped later).
        var changed = await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { contact = new { channel = "email", address = "Sam.V@Example.org" } });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("s…@example.org", (await changed.Content.ReadFromJsonAsync<JsonObject>())!["contact"]!["hint"]!.GetValue<string>());
        var newContact = await InDbAsync(app, db => db.Users.Where(u => u.Id == id).Select(u => u.ContactSubscriberId).SingleAsync());
        Assert.NotEqual(contactId, newContact);
        Assert.Equal(SubscriberState.Unsubscribed, await InDbAsync(app, db => db.Subscribers.Where(s => s.Id == contactId).Select(s => s.State).SingleAsync()));

        // An address that is already a resident's subscription is reused, and the resident keeps their alerts.
        var resident = await app.SubscribeAsync(app.CreateClient(), "sms", "+16125550178", "en", zones: [7]);
        var reuse = await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { contact = new { channel = "sms", address = "+16125550178" } });
        Assert.Equal(HttpStatusCode.OK, reuse.StatusCode);
        Assert.Equal(resident, await InDbAsync(app, db => db.Users.Where(u => u.Id == id).Select(u => u.ContactSubscriberId).SingleAsync()));
        Assert.Equal(SubscriberState.Unsubscribed, await InDbAsync(app, db => db.Subscribers.Where(s => s.Id == newContact).Select(s => s.State).SingleAsync()));
        // Removing the contact leaves the resident's subscription alone.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/users/{id}", new { clear = new[] { "contact" } })).StatusCode);
        var kept = await InDbAsync(app, db => db.Subscribers.AsNoTracking().SingleAsync(s => s.Id == resident));
        Assert.Equal(SubscriberState.Confirmed, kept.State);
        Assert.Equal("7", kept.Zones);
    }

    [Fact]
    public void Contact_hints_and_the_staff_only_and_last_admin_rules()
    {
        Assert.Equal("…0123", StaffContact.Hint(SubscriberChannel.Sms, "+16125550123"));
        Assert.Equal("d…@example.org", StaffContact.Hint(SubscriberChannel.Email, "dana@example.org"));
        Assert.True(StaffContact.IsStaffOnly(new Subscriber()));
        Assert.False(StaffContact.IsStaffOnly(new Subscriber { Zones = "4" }));
        Assert.False(StaffContact.IsStaffOnly(new Subscriber { AreaCipher = [1, 2, 3] }));
        Assert.False(StaffContact.IsStaffOnly(new Subscriber { Pending = "{}" }));
        (string, bool, bool)[] staff = [("a", true, false), ("b", true, true), ("c", false, false)];
        Assert.True(StaffRules.LeavesNoAdmin(staff, "a", adminAfter: false, disabledAfter: false));
        Assert.True(StaffRules.LeavesNoAdmin(staff, "a", adminAfter: true, disabledAfter: true));
        Assert.False(StaffRules.LeavesNoAdmin(staff, "b", adminAfter: true, disabledAfter: false));
        Assert.False(StaffRules.LeavesNoAdmin(staff, "c", adminAfter: false, disabledAfter: true));
        Assert.True(StaffRules.IsDisabled(StaffRules.DisabledUntil));
        Assert.False(StaffRules.IsDisabled(DateTimeOffset.UtcNow.AddMinutes(15)));

        var defaults = new RetentionOptions();
        Assert.Equal(new Retention(48, 24, 30), Retention.Effective(null, defaults));
        Assert.Equal(new Retention(48, 2, 30), Retention.Effective(new Whistle.Network.NetworkProfile { UnsubscribedAddressHours = 2 }, defaults));
        Assert.Equal(TimeSpan.FromDays(30), Retention.Effective(null, defaults).DeliveryRecords);
    }

    [Fact]
    public void A_zone_file_is_read_whole_or_refused_feature_by_feature()
    {
        using var ok = System.Text.Json.JsonDocument.Parse(Collection(Square("A", -93.3, 44.9), Square("B", -93.2, 44.9, nameKey: "NAME")));
        var (zones, errors) = ZoneFile.Read(ok.RootElement, null);
        Assert.Empty(errors);
        Assert.Equal(["A", "B"], zones.Select(z => z.Name));
        Assert.All(zones, z => Assert.Equal("Polygon", z.Shape.GeometryType));

        using var wrongKey = System.Text.Json.JsonDocument.Parse(Collection(Square("A", -93.3, 44.9)));
        var (_, missing) = ZoneFile.Read(wrongKey.RootElement, "BDNAME");
        Assert.Contains("no text property \"BDNAME\"", missing["features[0]"][0]);

        using var open = System.Text.Json.JsonDocument.Parse(Collection(
            """{"type":"Feature","properties":{"name":"Open"},"geometry":{"type":"Polygon","coordinates":[[[-93.0,44.0],[-92.9,44.0],[-92.9,44.1]]]}}"""));
        var (_, unreadable) = ZoneFile.Read(open.RootElement, null);
        Assert.StartsWith("Feature 0 (\"Open\"):", unreadable["features[0]"][0]);
    }

    // ---- Zones ----

    private static string Square(string name, double lon, double lat, double size = 0.01, string nameKey = "name") =>
        FormattableString.Invariant($"{{\"type\":\"Feature\",\"properties\":{{\"{nameKey}\":\"{name}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{lon},{lat}],[{lon + size},{lat}],[{lon + size},{lat + size}],[{lon},{lat + size}],[{lon},{lat}]]]}}}}");

    private static string Collection(params string[] features) => """{"type":"FeatureCollection","features":[""" + string.Join(',', features) + "]}";

    private static Task<HttpResponseMessage> ImportAsync(HttpClient client, string geojson, string? nameProperty = null) =>
        client.PostAsync("/api/v1/zones/import" + (nameProperty is null ? "" : "?nameProperty=" + nameProperty),
            new StringContent(geojson, Encoding.UTF8, "application/geo+json"));

    [Fact]
    public async Task Importing_zones_upserts_by_name_keeps_the_rest_and_a_new_zone_can_be_subscribed_to()
    {
        using var own = new CustomApp([]);
        var admin = await own.StaffAsync("admin");
        var before = (await own.CreateClient().GetFromJsonAsync<JsonObject>("/api/v1/zones"))!["features"]!.AsArray().Count;
        Assert.Equal(87, before);
        var other = new ZoneRegistry();
        Assert.True(await InDbAsync(own, db => other.ReloadIfChangedAsync(db)));
        Assert.False(await InDbAsync(own, db => other.ReloadIfChangedAsync(db)));

        // A new zone (named by BDNAME, as the city's files do), a new shape for a known one, and a bow-tie that gets repaired.
        var bowtie = """{"type":"Feature","properties":{"BDNAME":"Bow Tie"},"geometry":{"type":"Polygon","coordinates":[[[-93.0,44.0],[-92.99,44.01],[-92.99,44.0],[-93.0,44.01],[-93.0,44.0]]]}}""";
        var file = Collection(Square("Test Hollow", -93.5, 44.5, nameKey: "BDNAME"), Square("Victory", -93.31, 45.03, nameKey: "BDNAME"), bowtie);
        var res = await ImportAsync(admin, file);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var result = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, result["added"]!.GetValue<int>());
        Assert.Equal(1, result["updated"]!.GetValue<int>());
        Assert.Equal(0, result["unchanged"]!.GetValue<int>());
        Assert.Equal(86, result["kept"]!.GetValue<int>());
        Assert.Equal(89, result["total"]!.GetValue<int>());
        Assert.Equal(1, result["repaired"]!.GetValue<int>());
        Assert.Contains("kept", result["note"]!.GetValue<string>());

        // The public zones and the light outlines show it; Victory kept its id (3).
        var zones = (await own.CreateClient().GetFromJsonAsync<JsonObject>("/api/v1/zones"))!["features"]!.AsArray();
        var hollow = zones.Single(z => z!["properties"]!["name"]!.GetValue<string>() == "Test Hollow")!;
        var newId = hollow["properties"]!["id"]!.GetValue<int>();
        Assert.Equal(88, newId);
        Assert.Equal(3, zones.Single(z => z!["properties"]!["name"]!.GetValue<string>() == "Victory")!["properties"]!["id"]!.GetValue<int>());
        Assert.Contains("Test Hollow", await own.CreateClient().GetStringAsync("/site/zones.geojson"));
        // Another process sharing the database sees the change on its next check.
        Assert.True(await InDbAsync(own, db => other.ReloadIfChangedAsync(db)));
        Assert.True(other.Current.Exists(newId));

        // A subscription to the new zone validates; an alert over it reaches it.
        var subscriber = await own.SubscribeAsync(own.CreateClient(), "email", "hollow@example.org", "en", zones: [newId]);
        var dispatcher = await own.StaffAsync("dispatcher");
        var sent = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, zones = new[] { newId } });
        var alertId = Guid.Parse((await sent.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, alertId);
        Assert.Contains(own.Outbox(), l => l.AlertId == alertId && l.Recipient == "hollow@example.org");
        Assert.True(subscriber > 0);

        // The same file again changes nothing.
        var again = (await (await ImportAsync(admin, file)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(3, again["unchanged"]!.GetValue<int>());
        Assert.Equal(0, again["added"]!.GetValue<int>() + again["updated"]!.GetValue<int>());
        Assert.False(await InDbAsync(own, db => other.ReloadIfChangedAsync(db)));

        // A name property of the importer's choosing.
        var named = (await (await ImportAsync(admin, Collection(Square("Far Field", -94, 44, nameKey: "label")), "label")).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(1, named["added"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_zone_file_with_a_bad_feature_is_refused_naming_it_and_nothing_is_written()
    {
        using var own = new CustomApp([]);
        var admin = await own.StaffAsync("admin");
        async Task<int> Count() => await InDbAsync(own, db => db.Zones.CountAsync());
        var point = """{"type":"Feature","properties":{"name":"A point"},"geometry":{"type":"Point","coordinates":[-93.2,44.9]}}""";

        var res = await ImportAsync(admin, Collection(Square("Fine", -93.5, 44.5), point, Square("Off the map", 200, 44.5), Square("Fine", -93.4, 44.5)));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["features[1]", "features[2]", "features[3]"], errors.Select(e => e.Key).Order());
        Assert.Contains("Feature 1 (\"A point\"): its geometry is a Point", errors["features[1]"]![0]!.GetValue<string>());
        Assert.Contains("longitude", errors["features[2]"]![0]!.GetValue<string>());
        Assert.Contains("already used by feature 0", errors["features[3]"]![0]!.GetValue<string>());
        Assert.Contains("Nothing was changed", problem["detail"]!.GetValue<string>());
        Assert.Equal(87, await Count());

        var nameless = await ImportAsync(admin, Collection(Square("x", -93.5, 44.5, nameKey: "title")));
        Assert.Contains("features[0]", (await nameless.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(HttpStatusCode.BadRequest, (await ImportAsync(admin, "{\"type\":\"Feature\"}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ImportAsync(admin, "{ not json")).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType,
            (await admin.PostAsync("/api/v1/zones/import", new StringContent(Collection(Square("T", -93.5, 44.5)), Encoding.UTF8, "text/plain"))).StatusCode);
        Assert.Equal(87, await Count());

        // Only admins import; everyone may read.
        Assert.Equal(HttpStatusCode.Forbidden, (await ImportAsync(await own.StaffAsync("dispatcher"), Collection(Square("T", -93.5, 44.5)))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ImportAsync(own.CreateClient(), Collection(Square("T", -93.5, 44.5)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await own.CreateClient().GetAsync("/api/v1/zones")).StatusCode);
        Assert.Equal(87, await Count());
    }

    // ---- Retention ----

    [Fact]
    public async Task Retention_periods_are_set_validated_reset_and_used_for_contacts_addresses_and_the_report_page()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var own = new CustomApp([], s => s.AddSingleton<TimeProvider>(fake));
        var admin = await own.StaffAsync("admin");
        var defaults = (await admin.GetFromJsonAsync<JsonObject>("/api/v1/retention"))!;
        Assert.Equal(48, defaults["reporterContactHours"]!["value"]!.GetValue<double>());
        Assert.True(defaults["reporterContactHours"]!["isDefault"]!.GetValue<bool>());
        Assert.Equal(24, defaults["unsubscribedAddressHours"]!["value"]!.GetValue<double>());
        Assert.Equal(30, defaults["deliveryRecordDays"]!["value"]!.GetValue<double>());

        var bad = await admin.PutAsJsonAsync("/api/v1/retention", new { reporterContactHours = 0.5, unsubscribedAddressHours = 721, deliveryRecordDays = 366 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal("Keep a reporter's call-back contact between 1 hour and 720 hours (30 days).", errors["reporterContactHours"]![0]!.GetValue<string>());
        Assert.Contains("deliveryRecordDays", errors.Select(e => e.Key));
        Assert.Contains("unsubscribedAddressHours", errors.Select(e => e.Key));

        // A contact left before the change, promised 48 hours: shortening the period applies to it too.
        var earlier = await own.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", placeText = "Franklin Ave", contact = "+16125550191" });
        var earlierId = (await earlier.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        var set = await admin.PutAsJsonAsync("/api/v1/retention", new { reporterContactHours = 2, unsubscribedAddressHours = 3, deliveryRecordDays = (double?)null });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var now = (await admin.GetFromJsonAsync<JsonObject>("/api/v1/retention"))!;
        Assert.Equal(2, now["reporterContactHours"]!["value"]!.GetValue<double>());
        Assert.False(now["reporterContactHours"]!["isDefault"]!.GetValue<bool>());
        Assert.Equal(48, now["reporterContactHours"]!["default"]!.GetValue<double>());
        Assert.True(now["deliveryRecordDays"]!["isDefault"]!.GetValue<bool>());

        // The report page says so, and a report's contact is purged after 2 hours, not 48.
        Assert.Contains("deleted after 2 hours", await own.CreateClient().GetStringAsync("/report?lang=en"));
        var report = await own.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", placeText = "Lake St", contact = "+16125550190" });
        var reportId = (await report.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        var purgeAt = await InDbAsync(own, db => db.Reports.Where(r => r.Id == reportId).Select(r => r.ContactPurgeAt).SingleAsync());
        Assert.Equal(fake.GetUtcNow().AddHours(2).ToUnixTimeMilliseconds(), purgeAt!.Value.ToUnixTimeMilliseconds());

        // An unsubscribed address is wiped 3 hours after its last notice.
        await Seed.SubscribersAsync(own, 1, 45.1, -94.1, first: 7300);
        await own.UnsubscribeAsync(own.CreateClient(), "+16125557300");
        var housekeeping = own.Services.GetRequiredService<Housekeeping>();
        fake.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        Assert.NotNull(await InDbAsync(own, db => db.Reports.Where(r => r.Id == earlierId).Select(r => r.ContactCipher).SingleAsync()));
        await housekeeping.RunOnceAsync(default);
        Assert.Null(await InDbAsync(own, db => db.Reports.Where(r => r.Id == reportId).Select(r => r.ContactCipher).SingleAsync()));
        Assert.Null(await InDbAsync(own, db => db.Reports.Where(r => r.Id == earlierId).Select(r => r.ContactCipher).SingleAsync()));
        Assert.NotNull(await InDbAsync(own, db => db.Subscribers.Where(s => s.State == SubscriberState.Unsubscribed).Select(s => s.AddressCipher).SingleAsync()));
        fake.Advance(TimeSpan.FromHours(1));
        await housekeeping.RunOnceAsync(default);
        Assert.Null(await InDbAsync(own, db => db.Subscribers.Where(s => s.State == SubscriberState.Unsubscribed).Select(s => s.AddressCipher).SingleAsync()));

        // null resets to the default (hours later: a new login, access tokens live 15 minutes).
        admin = await own.StaffAsync("admin");
        var reset = await admin.PutAsJsonAsync("/api/v1/retention", new { reporterContactHours = (double?)null });
        Assert.True((await reset.Content.ReadFromJsonAsync<JsonObject>())!["reporterContactHours"]!["isDefault"]!.GetValue<bool>());
        Assert.Contains("deleted after 48 hours", await own.CreateClient().GetStringAsync("/report?lang=en"));
    }

    [Fact]
    public async Task Delivery_records_are_deleted_in_batches_once_their_alert_expired_past_the_period_and_recent_ones_are_kept()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // The code below goes to a sign-up never confirmed, which housekeeping would delete after a day: kept here,
        // so the message is purged by the delivery-records period this test is about.
        using var own = new CustomApp(new() { ["Whistle:Subscriptions:UnconfirmedHours"] = "10000" }, s => s.AddSingleton<TimeProvider>(fake));
        var admin = await own.StaffAsync("admin");
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/retention", new { deliveryRecordDays = 7 })).StatusCode);
        await Seed.SubscribersAsync(own, 5, 45.3, -94.3, SubscriberChannel.Email, first: 7400);
        // A direct message (a code), sent at the start.
        await own.SubscribeAsync(own.CreateClient(), "email", "code@example.org", "en", circle: new { lat = 45.3, lon = -94.3, radiusMeters = 200 }, confirm: false);

        async Task<Guid> AlertAsync()
        {
            var dispatcher = await own.StaffAsync("dispatcher");
            var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, expiresInMinutes = 60, circle = new { lat = 45.3, lon = -94.3, radiusMeters = 100 } });
            var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
            await WhistleApp.DeliveredAsync(dispatcher, id);
            return id;
        }
        async Task<int> Rows(Guid alert) => await InDbAsync(own, db =>
            db.Deliveries.CountAsync(d => d.AlertSeq == db.Alerts.Where(a => a.Id == alert).Select(a => a.Seq).Single()));
        Task<int> Messages() => InDbAsync(own, db => db.Messages.CountAsync());

        var old = await AlertAsync();
        await WhistleApp.EventuallyAsync(() => InDbAsync(own, db => db.Messages.CountAsync(m => m.State == Whistle.Delivery.DeliveryState.Sent)), n => n == 1, "the code sent");
        fake.Advance(TimeSpan.FromDays(5));
        var recent = await AlertAsync();
        Assert.Equal(5, await Rows(old));

        // Six days after the first alert expired: within the period, nothing goes.
        fake.Advance(TimeSpan.FromDays(1));
        var housekeeping = own.Services.GetRequiredService<Housekeeping>();
        await housekeeping.RunOnceAsync(default);
        Assert.Equal(5, await Rows(old));
        Assert.Equal(1, await Messages());

        // Past it: the old alert's rows go, two at a time; the recent alert's stay; the alert itself stays.
        fake.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(2));
        var cutoff = fake.GetUtcNow() - TimeSpan.FromDays(7);
        var (deliveries, messages) = await InDbAsync(own, db => Housekeeping.PurgeDeliveryRecordsAsync(db, cutoff, default, batch: 2));
        Assert.Equal(5, deliveries);
        Assert.Equal(1, messages);
        Assert.Equal(0, await Rows(old));
        Assert.Equal(5, await Rows(recent));
        Assert.Equal(0, await Messages());
        Assert.Equal(HttpStatusCode.OK, (await (await own.StaffAsync("dispatcher")).GetAsync($"/api/v1/alerts/{old}")).StatusCode);

        // The housekeeping pass applies the period to the recent alert when its time comes.
        fake.Advance(TimeSpan.FromDays(5));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal(0, await Rows(recent));
    }
}

public sealed class SqliteAdminTests(SqliteApp app) : AdminTests<SqliteApp>(app);

public sealed class PostgresAdminTests(PostgresApp app) : AdminTests<PostgresApp>(app);
