using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Whistle.Tests.Api;

/// <summary>
/// A Whistle behind a reverse proxy on loopback, with the shipped intake budgets (not the raised ones other tests
/// use). The test server has no socket, so a startup filter gives each request the loopback peer a real proxy
/// connection has; the app believes X-Forwarded-For only because 127.0.0.1 is in Whistle:TrustedProxies.
/// </summary>
public sealed class IntakeApp(Db db, Dictionary<string, string?>? extra = null) : WhistleApp(db, Merged(extra))
{
    private static Dictionary<string, string?> Merged(Dictionary<string, string?>? extra)
    {
        var defaults = new Reports.IntakeOptions();
        var s = new Dictionary<string, string?>
        {
            ["Whistle:RateLimits:ReportsPerMinute"] = "30",
            ["Whistle:Intake:NetworkPerMinute"] = defaults.NetworkPerMinute.ToString(),
            ["Whistle:Intake:AreaPerMinute"] = defaults.AreaPerMinute.ToString(),
            ["Whistle:TrustedProxies"] = "127.0.0.1",
        };
        foreach (var kv in extra ?? []) s[kv.Key] = kv.Value;
        return s;
    }

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<IStartupFilter, LoopbackPeer>();

    private sealed class LoopbackPeer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((ctx, go) => { ctx.Connection.RemoteIpAddress ??= IPAddress.Loopback; return go(ctx); });
            next(app);
        };
    }

    /// <summary>A client whose requests the proxy forwards for this address.</summary>
    public HttpClient From(string address)
    {
        var c = CreateClient();
        c.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return c;
    }
}

public abstract class IntakeTests(Db db)
{
    private static readonly (double Lat, double Lon) X = (44.9485, -93.2555);

    internal static object At(double lat, double lon, string text = "agents at the corner") => new { activity = "patrol", lat, lon, text };

    internal static async Task<JsonObject> PostAsync(HttpClient c, object body)
    {
        var res = await c.PostAsJsonAsync("/api/v1/reports", body);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    internal static Guid? IdOf(JsonObject o, string key) => o[key] is { } v ? v.GetValue<Guid>() : null;

    [Fact]
    public async Task A_flood_of_540_reports_from_18_networks_is_held_in_a_surge_and_real_reports_stay_on_page_one()
    {
        using var app = new IntakeApp(db);
        var dispatcher = await app.StaffAsync("dispatcher");
        var before = IdOf(await PostAsync(app.From("203.0.113.5"), At(44.99, -93.20, "real, before")), "sightingId")!.Value;

        // 18 networks, 30 reports each (each address within its own per-minute limit), scattered around X.
        var rnd = new Random(11);
        var results = new List<JsonObject>();
        for (int a = 0; a < 18; a++)
        {
            var c = app.From($"198.51.{a}.7");
            for (int i = 0; i < 30; i++)
                results.Add(await PostAsync(c, At(X.Lat + (rnd.NextDouble() - 0.5) * 0.02, X.Lon + (rnd.NextDouble() - 0.5) * 0.02, $"flood {a}/{i}")));
        }
        var after = await PostAsync(app.From("192.0.2.44"), At(44.90, -93.32, "real, after"));

        // Nothing lost: every report is stored, in a sighting or in a surge; only a budget's worth reached the queue.
        Assert.Equal(540, results.Count);
        var held = results.Where(r => IdOf(r, "surgeId") is not null).ToList();
        var queued = results.Where(r => IdOf(r, "sightingId") is not null).ToList();
        Assert.Equal(540, held.Count + queued.Count);
        // At most the area budget (15) in each of the four grid cells the flood touched.
        Assert.InRange(queued.Count, 1, 60);
        // The real report after the flood reached the queue: it came from a network not heard in the flood.
        var afterSighting = IdOf(after, "sightingId");
        Assert.NotNull(afterSighting);

        // Page one of the queue holds both real reports, and the flood is a handful of surge items.
        // Page one of the queue holds the real report made after the flood, and the flood is a handful of surge items.
        var page = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/sightings"))!;
        var ids = page["items"]!.AsArray().Select(x => x!["id"]!.GetValue<Guid>()).ToList();
        Assert.Contains(afterSighting!.Value, ids);
        var surges = page["surges"]!.AsArray().Select(x => x!.AsObject()).ToList();
        Assert.InRange(surges.Count, 1, 5);
        Assert.Equal(held.Count, surges.Sum(s => s["reportCount"]!.GetValue<int>()));
        Assert.All(surges, s => Assert.InRange(s["sourceCount"]!.GetValue<int>(), 1, 18));
        // The one made before is still listed (the queue is paged, never cut), and every sighting appears once.
        var all = (await WhistleApp.QueueAsync(dispatcher, limit: 7)).Select(s => s["id"]!.GetValue<Guid>()).ToList();
        Assert.Contains(before, all);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(queued.Select(q => IdOf(q, "sightingId")).Distinct().Count() + 2, all.Count);

        // The dispatcher opens the biggest surge and reads every report in it, a page at a time, each once.
        var big = surges.OrderByDescending(s => s["reportCount"]!.GetValue<int>()).First();
        var bigId = big["id"]!.GetValue<Guid>();
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/surges/{bigId}?limit=50" + (cursor is null ? "" : "&cursor=" + cursor)))!;
            seen.AddRange(detail["reports"]!.AsArray().Select(r => r!["id"]!.GetValue<Guid>()));
            cursor = detail["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.Equal(big["reportCount"]!.GetValue<int>(), seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(seen, id => Assert.Contains(held, h => IdOf(h, "id") == id && IdOf(h, "surgeId") == bigId));

        // One held report judged real is promoted to the queue; the surge is dismissed; its reports stay readable.
        var promoted = await dispatcher.PostAsync($"/api/v1/surges/{bigId}/reports/{seen[0]}/promote", null);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        var promotedSighting = (await promoted.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        Assert.Contains(await WhistleApp.QueueAsync(dispatcher), s => s["id"]!.GetValue<Guid>() == promotedSighting);
        Assert.Equal(HttpStatusCode.Conflict, (await dispatcher.PostAsync($"/api/v1/surges/{bigId}/reports/{seen[0]}/promote", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsync($"/api/v1/surges/{bigId}/dismiss", null)).StatusCode);
        page = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/sightings"))!;
        Assert.DoesNotContain(page["surges"]!.AsArray(), s => s!["id"]!.GetValue<Guid>() == bigId);
        var kept = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/surges/{bigId}?limit=200"))!;
        Assert.Equal("dismissed", kept["surge"]!["state"]!.GetValue<string>());
        Assert.Equal(Math.Min(200, seen.Count), kept["reports"]!.AsArray().Count);

        // Only dispatchers and admins work the surge lane.
        var verifier = await app.StaffAsync("verifier");
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.GetAsync($"/api/v1/surges/{bigId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsync($"/api/v1/surges/{bigId}/dismiss", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/v1/surges")).StatusCode);
    }

    [Fact]
    public async Task Twenty_five_reports_of_one_spot_from_one_network_count_as_one_source_not_as_corroboration()
    {
        // The area budget raised: this is about counting sources, not about the surge.
        using var app = new IntakeApp(db, new() { ["Whistle:Intake:AreaPerMinute"] = "1000", ["Whistle:Intake:NetworkPerMinute"] = "1000" });
        var dispatcher = await app.StaffAsync("dispatcher");
        Guid? sighting = null;
        for (int i = 1; i <= 25; i++)
            sighting = IdOf(await PostAsync(app.From($"198.51.100.{i}"), At(X.Lat, X.Lon)), "sightingId");
        // Three IPv6 addresses in one /48 (different /64s) are one source too.
        foreach (var v6 in new[] { "2001:db8:7:1::9", "2001:db8:7:2::9", "2001:db8:7:ffff::1" })
            Assert.Equal(sighting, IdOf(await PostAsync(app.From(v6), At(X.Lat, X.Lon)), "sightingId"));
        // Two people elsewhere saw it too.
        Assert.Equal(sighting, IdOf(await PostAsync(app.From("203.0.113.9"), At(X.Lat + 0.001, X.Lon)), "sightingId"));
        Assert.Equal(sighting, IdOf(await PostAsync(app.From("192.0.2.200"), At(X.Lat, X.Lon + 0.001)), "sightingId"));

        var s = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!["sighting"]!;
        Assert.Equal(30, s["reportCount"]!.GetValue<int>());
        Assert.Equal(4, s["sourceCount"]!.GetValue<int>());
        Assert.False(s["trusted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Without_a_trusted_proxy_X_Forwarded_For_is_ignored_for_sources_and_for_the_rate_limit()
    {
        using var app = new IntakeApp(db, new() { ["Whistle:TrustedProxies"] = "", ["Whistle:Intake:AreaPerMinute"] = "1000" });
        var dispatcher = await app.StaffAsync("dispatcher");
        Guid? sighting = null;
        for (int i = 0; i < 30; i++)
            sighting = IdOf(await PostAsync(app.From($"10.{i}.0.1"), At(X.Lat, X.Lon)), "sightingId");
        var s = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!["sighting"]!;
        Assert.Equal(30, s["reportCount"]!.GetValue<int>());
        Assert.Equal(1, s["sourceCount"]!.GetValue<int>());
        // A made-up forwarding header buys no second per-address budget.
        var limited = await app.From("10.99.0.1").PostAsJsonAsync("/api/v1/reports", At(X.Lat, X.Lon));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
    }

    [Fact]
    public async Task A_trusted_reporters_link_marks_their_reports_trusted_they_skip_the_surge_and_revoking_it_ends_that()
    {
        using var app = new IntakeApp(db);
        var dispatcher = await app.StaffAsync("dispatcher");
        var verifier = await app.StaffAsync("verifier");
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.PostAsJsonAsync("/api/v1/reporters", new { name = "Ana" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostAsJsonAsync("/api/v1/reporters", new { name = "Ana" })).StatusCode);
        // A control character is stripped at intake (every JSON string is), never stored.
        var stripped = await dispatcher.PostAsJsonAsync("/api/v1/reporters", new { name = "A\u0000na" });
        Assert.Equal(HttpStatusCode.Created, stripped.StatusCode);
        var strippedBody = (await stripped.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Ana", strippedBody["reporter"]!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.DeleteAsync($"/api/v1/reporters/{strippedBody["reporter"]!["id"]!.GetValue<long>()}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.PostAsJsonAsync("/api/v1/reporters", new { name = new string('a', 101) })).StatusCode);

        var created = await dispatcher.PostAsJsonAsync("/api/v1/reporters", new { name = "Ana, Lake St. team" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var token = body["token"]!.GetValue<string>();
        Assert.Contains("/report?t=" + token, body["link"]!.GetValue<string>());
        var reporterId = body["reporter"]!["id"]!.GetValue<long>();
        // Shown once: the list never holds the token.
        var list = await dispatcher.GetStringAsync("/api/v1/reporters");
        Assert.Contains("Ana, Lake St. team", list);
        Assert.DoesNotContain(token, list);

        // A flood holds the area around X...
        for (int a = 0; a < 2; a++)
        {
            var c = app.From($"198.51.{a}.7");
            for (int i = 0; i < 10; i++) await PostAsync(c, At(X.Lat + i * 0.0001, X.Lon));
        }
        var flooded = await PostAsync(app.From("203.0.113.77"), At(X.Lat, X.Lon));
        Assert.NotNull(IdOf(flooded, "surgeId"));
        // ...but the trusted volunteer's report there reaches the queue, marked, and heads it.
        var trusted = await PostAsync(app.From("198.51.0.7"), new { activity = "checkpoint", lat = X.Lat, lon = X.Lon + 0.01, reporterToken = token });
        Assert.True(trusted["trusted"]!.GetValue<bool>());
        var sighting = IdOf(trusted, "sightingId")!.Value;
        var first = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/sightings"))!["items"]![0]!;
        Assert.Equal(sighting, first["id"]!.GetValue<Guid>());
        Assert.True(first["trusted"]!.GetValue<bool>());
        var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
        Assert.True(detail["reports"]![0]!["trusted"]!.GetValue<bool>());

        // Revoked: the link still files a report (nothing refused), but an ordinary one, held with the flood.
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.DeleteAsync($"/api/v1/reporters/{reporterId}")).StatusCode);
        var after = await PostAsync(app.From("203.0.113.78"), new { activity = "checkpoint", lat = X.Lat, lon = X.Lon, reporterToken = token });
        Assert.False(after["trusted"]!.GetValue<bool>());
        Assert.NotNull(IdOf(after, "surgeId"));
        // A made-up token is just an ordinary report too.
        Assert.False((await PostAsync(app.From("203.0.113.79"), new { activity = "patrol", placeText = "Lake St", reporterToken = "guess" }))["trusted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_queue_is_paged_past_the_old_500_row_cap_with_a_stable_cursor_and_every_sighting_exactly_once()
    {
        using var app = new IntakeApp(db, new()
        {
            ["Whistle:RateLimits:ReportsPerMinute"] = "1000", ["Whistle:Intake:AreaPerMinute"] = "100000", ["Whistle:Intake:NetworkPerMinute"] = "100000",
        });
        var dispatcher = await app.StaffAsync("dispatcher");
        var client = app.From("203.0.113.1");
        var made = new List<Guid>();
        // 520 sightings 1.1 km apart (no two merge).
        for (int i = 0; i < 520; i++)
            made.Add(IdOf(await PostAsync(client, At(44.5 + (i / 30) * 0.01, -93.5 + (i % 30) * 0.015)), "sightingId")!.Value);
        Assert.Equal(520, made.Distinct().Count());
        // One is being verified: it comes after every new one.
        await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{made[0]}/dispatch", new { count = 1 });

        var walked = new List<JsonObject>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/sightings?limit=50" + (cursor is null ? "" : "&cursor=" + cursor)))!;
            Assert.InRange(page["items"]!.AsArray().Count, 1, 50);
            walked.AddRange(page["items"]!.AsArray().Select(x => x!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
            // Reports keep coming while the dispatcher pages: they never shift the pages being walked.
            if (pages++ == 2) await PostAsync(client, At(40.0, -90.0));
        } while (cursor is not null);
        var ids = walked.Select(x => x["id"]!.GetValue<Guid>()).ToList();
        Assert.Equal(520, ids.Count);
        Assert.True(made.ToHashSet().SetEquals(ids));
        Assert.Equal(made[0], ids[^1]);
        Assert.Equal("verifying", walked[^1]["state"]!.GetValue<string>());

        // A cursor that was not given out, or a limit below one, is a problem; a huge limit is capped.
        var bad = await dispatcher.GetAsync("/api/v1/sightings?cursor=not-a-cursor");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.GetAsync("/api/v1/sightings?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await dispatcher.GetAsync("/api/v1/sightings?limit=abc")).StatusCode);
        var capped = (await dispatcher.GetFromJsonAsync<JsonObject>("/api/v1/sightings?limit=100000"))!;
        Assert.Equal(200, capped["items"]!.AsArray().Count);
        Assert.NotNull(capped["nextCursor"]);
    }
}

public sealed class IntakeTestsSqlite() : IntakeTests(Db.Sqlite);

public sealed class IntakeTestsPostgres() : IntakeTests(Db.Postgres);
