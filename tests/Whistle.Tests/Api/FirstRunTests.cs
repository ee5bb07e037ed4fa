using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12 §7 and §5 (phones, templates): numbers as people write them, the first-run checklist of a new network,
/// the empty network's pages, the favicon, templates grouped for people and the composer's unreviewed warning.
/// </summary>
public abstract class FirstRunTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    [Fact]
    public async Task A_us_number_written_three_ways_is_one_subscriber_in_e164()
    {
        var client = app.CreateClient();
        var res0 = await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "sms", address = "612-555-0142", language = "en", zones = new[] { 1 } });
        Assert.Equal(HttpStatusCode.Accepted, res0.StatusCode);
        Assert.Equal("+1 612-555-0142", (await res0.Content.ReadFromJsonAsync<JsonObject>())!["to"]!.GetValue<string>());
        // The code went to the E.164 form; it is confirmed with the number written another way.
        var line = await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().LastOrDefault(l => l.AlertId is null && l.Recipient == "+16125550142")),
            l => l is not null, "the confirmation code at +16125550142");
        var code = System.Text.RegularExpressions.Regex.Match(line!.Text, @"\b\d{6}\b").Value;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address = "(612) 555-0142", code })).StatusCode);
        var id = await app.SubscriberIdAsync("sms", "+16125550142");
        Assert.True(id > 0);
        foreach (var written in new[] { "(612) 555-0142", "+1 612 555 0142", "1 612 555 0142", "612.555.0142" })
        {
            var res = await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "sms", address = written, language = "en", zones = new[] { 1 } });
            Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
            Assert.Equal(id, await app.SubscriberIdAsync("sms", "+16125550142"));
        }
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var keys = scope.ServiceProvider.GetRequiredService<Whistle.Privacy.KeyRing>();
        var hash = keys.Hash(Whistle.Subscriptions.Addresses.LookupKey(Whistle.Subscriptions.SubscriberChannel.Sms, "+16125550142"));
        Assert.Equal(1, await db.Subscribers.CountAsync(s => s.AddressHash == hash));
    }

    [Fact]
    public async Task Unsubscribing_takes_the_number_written_nationally_too()
    {
        var client = app.CreateClient();
        await app.SubscribeAsync(client, "sms", "+16125550177", "en", zones: [1]);
        int before = app.Outbox().Count;
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe", new { address = "(612) 555-0177" });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        var line = await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().Skip(before).LastOrDefault(l => l.Recipient == "+16125550177")),
            l => l is not null, "the unsubscribe code");
        var code = System.Text.RegularExpressions.Regex.Match(line!.Text, @"\b\d{6}\b").Value;
        var ok = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe/confirm", new { address = "612-555-0177", code });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Theory]
    [InlineData("not a number")]
    [InlineData("555-01")]
    [InlineData("612-555-0142<script>")]
    [InlineData("+1 612 555 0142 ext. 9999999999999999999999999")]
    public async Task Garbage_is_a_problem_naming_the_address_field(string address)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions", new { channel = "sms", address, language = "es", zones = new[] { 1 } });
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotNull(problem["errors"]!["address"]);
    }

    [Theory]
    [InlineData("+44 20 7946 0958")]
    [InlineData("+52 55 1234 5678")]
    public async Task A_number_of_a_country_not_allowed_is_refused_as_before(string address)
    {
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions", new { channel = "sms", address, language = "en", zones = new[] { 1 } });
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("US", problem["errors"]!["address"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_staff_phone_and_a_reporters_call_back_number_written_nationally_are_kept_in_e164()
    {
        var admin = await app.StaffAsync("admin");
        var created = await admin.PostAsJsonAsync("/api/v1/users", new
        {
            email = $"pat-{Guid.NewGuid():N}@staff.test", role = "verifier", language = "en",
            contact = new { channel = "sms", address = "(612) 555-0166" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("…0166", (await created.Content.ReadFromJsonAsync<JsonObject>())!["user"]!["contact"]!["hint"]!.GetValue<string>());

        var report = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new
        {
            activity = "checkpoint", lat = 44.9485, lon = -93.2555, contact = "612-555-0155",
        });
        Assert.True(report.IsSuccessStatusCode, await report.Content.ReadAsStringAsync());
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        var dispatcher = await app.StaffAsync("dispatcher");
        var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
        Assert.Contains(detail["reports"]!.AsArray(), r => r!["contact"]?.GetValue<string>() == "+16125550155");
    }

    [Fact]
    public async Task The_favicon_is_an_icon()
    {
        var res = await app.CreateClient().GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("image/x-icon", res.Content.Headers.ContentType!.MediaType);
        var bytes = await res.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0, 0, 1, 0 }, bytes[..4]);
        Assert.Contains("href=\"/favicon.ico\"", await app.CreateClient().GetStringAsync("/"));
    }

    [Fact]
    public async Task Templates_come_grouped_by_purpose_and_the_preview_names_unreviewed_languages()
    {
        var admin = await app.StaffAsync("admin");
        var all = (await admin.GetFromJsonAsync<JsonArray>("/api/v1/templates"))!;
        string GroupOf(string key) => all.First(t => t!["key"]!.GetValue<string>() == key)!["group"]!.GetValue<string>();
        Assert.Equal("alert", GroupOf("alert"));
        Assert.Equal("update", GroupOf("update"));
        Assert.Equal("all_clear", GroupOf("cancel.all_clear"));
        Assert.Equal("retraction", GroupOf("cancel.false_alarm"));
        Assert.Equal("drill", GroupOf("marker.drill"));
        Assert.Equal("subscription", GroupOf("confirm.code"));
        Assert.DoesNotContain(all, t => t!["group"]!.GetValue<string>() == "other");

        var circle = new { lat = 44.9485, lon = -93.2555, radiusMeters = 1000 };
        async Task<string[]> Unreviewed()
        {
            var res = await admin.PostAsJsonAsync("/api/v1/alerts/preview", new { drill = true, circle });
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            return (await res.Content.ReadFromJsonAsync<JsonObject>())!["unreviewed"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
        }
        // The shipped translations await a native speaker's review.
        Assert.Contains("so", await Unreviewed());
        Assert.DoesNotContain("en", await Unreviewed());
        // Once Spanish's templates for this alert are approved, Spanish is no longer named.
        foreach (var t in all.Where(t => t!["language"]!.GetValue<string>() == "es" && t!["needsReview"]!.GetValue<bool>()))
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/templates/{t!["id"]!.GetValue<int>()}/approve", null)).StatusCode);
        var after = await Unreviewed();
        Assert.DoesNotContain("es", after);
        Assert.Contains("hmn", after);
    }
}

public sealed class FirstRunTestsSqlite(SqliteApp a) : FirstRunTests<SqliteApp>(a);
public sealed class FirstRunTestsPostgres(PostgresApp a) : FirstRunTests<PostgresApp>(a);

/// <summary>A new network: not the demo, no accounts, no zones.</summary>
public abstract class EmptyNetworkTests(Db db)
{
    private CustomApp New(bool withAdmin = false)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Whistle:Demo"] = "false",
            ["Whistle:PublicBaseUrl"] = "https://network.test",
        };
        if (withAdmin)
        {
            settings["Whistle:Bootstrap:AdminEmail"] = "coordinator@network.test";
            settings["Whistle:Bootstrap:AdminPassword"] = "a-Long-passphrase-42";
        }
        return new CustomApp(settings, db: db);
    }

    [Fact]
    public async Task The_home_page_says_the_network_is_being_set_up_and_the_login_page_says_how_the_first_admin_is_made()
    {
        using var app = New();
        var client = app.CreateClient();
        var home = await client.GetStringAsync("/");
        Assert.Contains("id=\"setting-up\"", home);
        Assert.Contains("This network is being set up", home);
        var login = await client.GetStringAsync("/console/login?lang=es");
        Assert.Contains("id=\"first-admin\"", login);
        Assert.Contains("users add --email", login);
        // The page only explains: there is no form or endpoint that makes the first admin from the web.
        var first = await client.PostAsJsonAsync("/api/v1/users", new { email = "stranger@evil.test", role = "admin" });
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        await using var scope = app.Services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<WhistleDb>().Users.CountAsync());
    }

    [Fact]
    public async Task Once_an_account_exists_the_login_page_no_longer_explains_the_bootstrap()
    {
        using var app = New(withAdmin: true);
        var login = await app.CreateClient().GetStringAsync("/console/login");
        Assert.DoesNotContain("id=\"first-admin\"", login);
    }

    [Fact]
    public async Task The_admins_checklist_says_what_is_left_and_the_name_and_time_zone_are_set_from_it()
    {
        using var app = New(withAdmin: true);
        var client = app.CreateClient();
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = "coordinator@network.test", password = "a-Long-passphrase-42" });
        client.DefaultRequestHeaders.Authorization = new("Bearer", (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>());
        var key = (await (await client.PostAsync("/api/v1/auth/totp/setup", null)).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/auth/totp/enable", new { code = Totp.Code(key) })).StatusCode);

        async Task<Dictionary<string, bool>> Steps()
        {
            var list = (await client.GetFromJsonAsync<JsonObject>("/api/v1/setup"))!;
            return list["steps"]!.AsArray().ToDictionary(s => s!["key"]!.GetValue<string>(), s => s!["done"]!.GetValue<bool>());
        }
        var steps = await Steps();
        Assert.Equal(["admin", "network", "zones", "templates", "channels"], steps.Keys);
        Assert.True(steps["admin"]);
        Assert.False(steps["network"]);
        Assert.False(steps["zones"]);
        Assert.False(steps["templates"]);
        Assert.False(steps["channels"]);

        var bad = await client.PutAsJsonAsync("/api/v1/setup/network", new { name = "Northside Rapid Response", timeZone = "Mars/Olympus" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["timeZone"]);
        var good = await client.PutAsJsonAsync("/api/v1/setup/network", new { name = "Northside Rapid Response", timeZone = "America/Chicago" });
        Assert.Equal(HttpStatusCode.NoContent, good.StatusCode);
        Assert.True((await Steps())["network"]);
        Assert.Contains("Northside Rapid Response", await app.CreateClient().GetStringAsync("/"));
    }
}

public sealed class EmptyNetworkTestsSqlite() : EmptyNetworkTests(Db.Sqlite);
public sealed class EmptyNetworkTestsPostgres() : EmptyNetworkTests(Db.Postgres);
