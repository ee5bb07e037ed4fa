using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Whistle.Delivery;
using Whistle.Federation;
using Whistle.Platform;

namespace Whistle.Tests.Api;

/// <summary>
/// An app for the metrics tests: alerts to an address containing "fail" are refused by the "provider" (a fake in
/// front of the real router), and one federation partner points at a port nothing listens on.
/// </summary>
public abstract class ObservedApp(Db db) : WhistleApp(db, new()
{
    ["Whistle:Federation:Partners:0:Name"] = "Nowhere",
    ["Whistle:Federation:Partners:0:FeedUrl"] = $"http://127.0.0.1:{CustomApp.FreePort()}/feed.atom",
    ["Whistle:Federation:Partners:0:PollSeconds"] = "86400",
})
{
    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.AddSingleton<IMessageSender>(sp => new RefusingProvider(ActivatorUtilities.CreateInstance<ChannelRouter>(sp)));

    private sealed class RefusingProvider(IMessageSender inner) : IMessageSender
    {
        public Task<SendResult> SendAsync(OutgoingMessage m, CancellationToken ct) =>
            m.AlertId is not null && m.Recipient.Contains("fail", StringComparison.Ordinal)
                ? Task.FromResult(SendResult.Retry("provider said 503"))
                : inner.SendAsync(m, ct);
    }
}

public sealed class ObservedSqliteApp() : ObservedApp(Db.Sqlite);
public sealed class ObservedPostgresApp() : ObservedApp(Db.Postgres);

/// <summary>
/// Issue 16 §2 (decision 0047): /metrics is for admins, each of the contract's metrics moves when its event happens,
/// the dashboard asks only for what /metrics has, and readiness and liveness say names and states only.
/// </summary>
public abstract class ObservabilityTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : ObservedApp
{
    private static readonly object Here = new { lat = 44.9485, lon = -93.2555, radiusMeters = 600 };

    /// <summary>The exposition's samples: "name{labels}" → value.</summary>
    internal static Dictionary<string, double> Samples(string exposition)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.LastIndexOf(' ');
            // The exporter may end a sample with a timestamp: "name{…} value ts".
            var head = line[..space];
            var value = line[(space + 1)..];
            if (head.LastIndexOf(' ') is var s2 && s2 > head.LastIndexOf('}') && s2 > 0)
            {
                value = head[(s2 + 1)..];
                head = head[..s2];
            }
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) samples[Strip(head)] = v;
        }
        return samples;
    }

    // The scope labels the exporter adds (otel_scope_name …) are dropped, so the tests name only their own labels.
    private static string Strip(string series)
    {
        int brace = series.IndexOf('{');
        if (brace < 0) return series;
        var labels = series[(brace + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("otel_scope_", StringComparison.Ordinal)).ToList();
        return labels.Count == 0 ? series[..brace] : series[..brace] + "{" + string.Join(",", labels) + "}";
    }

    internal static double Value(Dictionary<string, double> samples, string series) => samples.GetValueOrDefault(series);

    private async Task<Dictionary<string, double>> ScrapeAsync(HttpClient admin) => Samples(await admin.GetStringAsync("/metrics"));

    private Task<Dictionary<string, double>> UntilAsync(HttpClient admin, string series, double atLeast) =>
        WhistleApp.EventuallyAsync(() => ScrapeAsync(admin), s => Value(s, series) >= atLeast, $"{series} to reach {atLeast}");

    [Fact]
    public async Task Metrics_are_served_to_admins_only_on_the_main_port()
    {
        var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        foreach (var role in new[] { "verifier", "dispatcher", "documenter" })
            Assert.Equal(HttpStatusCode.Forbidden, (await (await app.StaffAsync(role)).GetAsync("/metrics")).StatusCode);
        var res = await (await app.StaffAsync("admin")).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.StartsWith("text/plain", res.Content.Headers.ContentType!.ToString());
        var text = await res.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE whistle_outbox_lag_seconds gauge", text);
        Assert.Contains("whistle_outbox_lag_seconds{", text);
    }

    [Fact]
    public async Task A_report_counts_once_for_its_channel_and_a_confirmation_records_its_time()
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        var before = await ScrapeAsync(admin);
        const string web = "whistle_reports_received_total{channel=\"web\"}";
        const string api = "whistle_reports_received_total{channel=\"api\"}";
        var report = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "checkpoint", lat = 45.05, lon = -93.05, channel = "web" });
        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await UntilAsync(admin, web, Value(before, web) + 1);
        // A refused report (no activity) counts nothing.
        Assert.Equal(HttpStatusCode.BadRequest, (await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { lat = 44.9, lon = -93.2, channel = "web" })).StatusCode);
        var api1 = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", placeText = "Lake St" });
        Assert.Equal(HttpStatusCode.Created, api1.StatusCode);
        var after = await UntilAsync(admin, api, Value(before, api) + 1);
        Assert.Equal(Value(before, web) + 1, Value(after, web));

        const string confirmed = "whistle_sighting_confirm_seconds_count";
        Assert.Equal(HttpStatusCode.OK, (await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" })).StatusCode);
        var confirmedAfter = await UntilAsync(admin, confirmed, Value(before, confirmed) + 1);
        Assert.Equal(Value(before, confirmed) + 1, Value(confirmedAfter, confirmed));
    }

    [Fact]
    public async Task An_alert_to_N_subscribers_counts_N_sent_one_alert_and_one_first_thousand()
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        var client = app.CreateClient();
        const int n = 3;
        for (int i = 0; i < n; i++)
            await app.SubscribeAsync(client, "email", $"metrics-{i}-{Guid.NewGuid():N}@example.org", "en", circle: Here);
        var before = await ScrapeAsync(admin);
        const string sent = "whistle_deliveries_total{channel=\"email\",state=\"sent\"}";
        const string first = "whistle_alert_first_thousand_seconds_count";
        const string drills = "whistle_alerts_sent_total{kind=\"drill\"}";
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = Here });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var alert = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(alert["recipients"]!.GetValue<int>() >= n);
        await WhistleApp.DeliveredAsync(dispatcher, Guid.Parse(alert["id"]!.GetValue<string>()));
        int recipients = alert["recipients"]!.GetValue<int>();
        var after = await UntilAsync(admin, first, Value(before, first) + 1);
        Assert.Equal(Value(before, first) + 1, Value(after, first));
        Assert.Equal(Value(before, sent) + recipients, Value(after, sent));
        Assert.Equal(Value(before, drills) + 1, Value(after, drills));
        // Read again (the progress view computes the first thousand too): still counted once.
        await dispatcher.GetAsync($"/api/v1/alerts/{alert["id"]}");
        Assert.Equal(Value(before, first) + 1, Value(await ScrapeAsync(admin), first));
    }

    [Fact]
    public async Task A_provider_refusing_counts_a_provider_error_a_failure_and_a_retry()
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        var far = new { lat = 44.8, lon = -93.1, radiusMeters = 300 };
        await app.SubscribeAsync(app.CreateClient(), "email", $"fail-{Guid.NewGuid():N}@example.org", "en", circle: far);
        var before = await ScrapeAsync(admin);
        const string errors = "whistle_provider_errors_total{channel=\"email\"}";
        const string failed = "whistle_deliveries_total{channel=\"email\",state=\"failed\"}";
        const string retries = "whistle_delivery_retries_total{channel=\"email\"}";
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = far });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var after = await UntilAsync(admin, retries, Value(before, retries) + 1);
        Assert.True(Value(after, errors) >= Value(before, errors) + 1);
        Assert.True(Value(after, failed) >= Value(before, failed) + 1);
    }

    [Fact]
    public async Task A_feed_poll_counts_by_outcome()
    {
        var admin = await app.StaffAsync("admin");
        const string error = "whistle_feed_polls_total{outcome=\"error\"}";
        // The poll at start-up first (the partner's port is closed), then one more, on demand.
        var before = await UntilAsync(admin, error, 1);
        await app.Services.GetRequiredService<FederationPoller>().RunOnceAsync(default);
        var after = await UntilAsync(admin, error, Value(before, error) + 1);
        Assert.Equal(Value(before, error) + 1, Value(after, error));
    }

    [Fact]
    public async Task Every_dashboard_query_names_only_metrics_the_endpoint_exposes()
    {
        var admin = await app.StaffAsync("admin");
        var dispatcher = await app.StaffAsync("dispatcher");
        // Each event once, so every series exists: a report, its confirmation, an alert (sent), a refusal, a poll.
        var report = await app.CreateClient().PostAsJsonAsync("/api/v1/reports", new { activity = "arrest", lat = 44.90, lon = -93.45 });
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" });
        var spot = new { lat = 44.85, lon = -93.35, radiusMeters = 300 };
        await app.SubscribeAsync(app.CreateClient(), "email", $"dash-{Guid.NewGuid():N}@example.org", "en", circle: spot);
        await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = spot });
        // The refusal on its own alert elsewhere: an alert whose only recipient is refused never hands over "all", so the
        // first alert (everyone handed over) is the one that records the first-thousand time.
        var elsewhere = new { lat = 44.80, lon = -93.55, radiusMeters = 300 };
        await app.SubscribeAsync(app.CreateClient(), "email", $"fail-dash-{Guid.NewGuid():N}@example.org", "en", circle: elsewhere);
        await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = elsewhere });
        await app.Services.GetRequiredService<FederationPoller>().RunOnceAsync(default);
        static List<string> Missing(string text) =>
            WhistleMetrics.Names.All.Where(name => !Regex.IsMatch(text, "^" + name + "(_bucket|_count|_sum)?[{ ]", RegexOptions.Multiline)).ToList();
        string last = "";
        var exposed = await WhistleApp.EventuallyAsync(async () => last = await admin.GetStringAsync("/metrics"),
            text => Missing(text).Count == 0, "every Whistle metric on /metrics (missing at the start: see the message below)")
            .ContinueWith(t => t.IsFaulted ? throw new Xunit.Sdk.XunitException("Missing on /metrics: " + string.Join(", ", Missing(last))) : t.Result);
        var series = Samples(exposed).Keys.Select(k => k.Split('{')[0]).ToHashSet();

        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "deploy", "grafana", "whistle.json")))!;
        Assert.Equal("datasource", dashboard["templating"]!["list"]![0]!["type"]!.GetValue<string>());
        var exprs = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>()).ToList();
        Assert.True(exprs.Count >= 9);
        var used = new HashSet<string>();
        foreach (var expr in exprs)
        {
            var names = Regex.Matches(expr, @"\bwhistle_[a-z_]+\b").Select(m => m.Value).ToList();
            Assert.True(names.Count > 0, $"'{expr}' names no Whistle metric");
            foreach (var name in names) Assert.True(series.Contains(name), $"the dashboard asks for {name}, which /metrics does not expose");
            used.UnionWith(names);
        }
        // And the dashboard shows every one of the contract's metrics.
        foreach (var name in WhistleMetrics.Names.All)
            Assert.Contains(used, u => u == name || u.StartsWith(name + "_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Live_and_ready_answer_with_names_and_states_only()
    {
        var client = app.CreateClient();
        var live = await client.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Empty((await live.Content.ReadFromJsonAsync<JsonObject>())!["checks"]!.AsObject());
        var ready = await client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(new[] { "checks", "status" }, json.Select(p => p.Key).Order().ToArray());
        var checks = json["checks"]!.AsObject();
        foreach (var name in new[] { "database", "keys", "relay", "storage" })
            Assert.Equal("Healthy", checks[name]!.GetValue<string>());
        Assert.All(checks, c => Assert.Contains(c.Value!.GetValue<string>(), new[] { "Healthy", "Degraded", "Unhealthy" }));
        Assert.DoesNotContain(app.DataDir, body);
        Assert.DoesNotContain("Exception", body);
        Assert.DoesNotContain("version", body, StringComparison.OrdinalIgnoreCase);
        // The old probe answers as before.
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Whistle.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Whistle.slnx not found above " + AppContext.BaseDirectory);
    }
}

public sealed class ObservabilityTestsSqlite(ObservedSqliteApp a) : ObservabilityTests<ObservedSqliteApp>(a);
public sealed class ObservabilityTestsPostgres(ObservedPostgresApp a) : ObservabilityTests<ObservedPostgresApp>(a);

/// <summary>Apps of their own: Redis gone, a lane stopped, a metrics port, traces on, nothing relaying.</summary>
public sealed class ObservabilityHealthTests
{
    [Fact]
    public async Task With_Redis_unreachable_the_node_is_live_but_not_ready_and_says_no_more()
    {
        int dead = CustomApp.FreePort();
        using var app = new CustomApp(new() { ["Whistle:Redis:ConnectionString"] = $"127.0.0.1:{dead},connectTimeout=500" });
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);
        var ready = await client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.Content.ReadAsStringAsync();
        var checks = JsonNode.Parse(body)!["checks"]!.AsObject();
        Assert.Equal("Unhealthy", checks["redis"]!.GetValue<string>());
        Assert.Equal("Healthy", checks["database"]!.GetValue<string>());
        Assert.DoesNotContain(dead.ToString(CultureInfo.InvariantCulture), body);
        Assert.DoesNotContain("127.0.0.1", body);
        Assert.DoesNotContain("Redis", body); // no exception names (RedisConnectionException…), only the check's name
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_relay_that_stops_looping_makes_the_node_unready_and_a_node_that_does_not_relay_is_not_asked()
    {
        using var app = new CustomApp([]);
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/ready")).StatusCode);
        // Every pass of every lane now fails (its tables are gone), so no lane finishes one; the database still answers.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
            await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlRawAsync(db.Database,
                "ALTER TABLE \"Deliveries\" RENAME TO \"DeliveriesGone\"; ALTER TABLE \"Messages\" RENAME TO \"MessagesGone\";");
        }
        var stale = await WhistleApp.EventuallyAsync(() => client.GetAsync("/healthz/ready"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable,
            "readiness to notice the stopped relay", timeoutMs: 40_000);
        Assert.Equal("Unhealthy", JsonNode.Parse(await stale.Content.ReadAsStringAsync())!["checks"]!["relay"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);
        Assert.Equal("Healthy", JsonNode.Parse(await stale.Content.ReadAsStringAsync())!["checks"]!["database"]!.GetValue<string>());

        using var apiOnly = new CustomApp(new() { ["Whistle:Delivery:Enabled"] = "false" });
        var ready = await apiOnly.CreateClient().GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Null(JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!["relay"]);
    }

    [Fact]
    public void A_lane_is_stale_only_past_its_window()
    {
        var t0 = DateTimeOffset.Parse("2026-12-02T10:00:00Z", CultureInfo.InvariantCulture);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(t0);
        var beat = new RelayHeartbeat(time);
        var window = RelayHeartbeat.Window(1000);
        Assert.Equal(TimeSpan.FromSeconds(10), window);
        Assert.Equal(TimeSpan.FromSeconds(25), RelayHeartbeat.Window(5000));
        Assert.Empty(beat.Stale(t0 + window, window));
        beat.Beat(Whistle.Subscriptions.SubscriberChannel.Sms, t0 + TimeSpan.FromSeconds(8));
        Assert.Equal(new[] { Whistle.Subscriptions.SubscriberChannel.Email, Whistle.Subscriptions.SubscriberChannel.Webpush, Whistle.Subscriptions.SubscriberChannel.Webhook },
            beat.Stale(t0 + TimeSpan.FromSeconds(11), window).ToArray());
        Assert.Equal(4, beat.Stale(t0 + TimeSpan.FromSeconds(19), window).Count);
    }

    [Fact]
    public async Task With_a_metrics_port_the_main_port_refuses_metrics_and_the_metrics_port_serves_only_metrics_and_probes()
    {
        const int port = 59_123; // never bound under the test server: the request says which port it came in on
        using var app = new CustomApp(new() { ["Whistle:Observability:MetricsPort"] = port.ToString(CultureInfo.InvariantCulture) });
        var admin = await app.StaffAsync("admin");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync("/metrics")).StatusCode);

        async Task<HttpContext> OnMetricsPort(string path) => await app.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = path;
            c.Connection.LocalPort = port;
        });
        var metrics = await OnMetricsPort("/metrics");
        Assert.Equal(200, metrics.Response.StatusCode);
        Assert.Contains("whistle_outbox_lag_seconds", await new StreamReader(metrics.Response.Body).ReadToEndAsync());
        Assert.Equal(200, (await OnMetricsPort("/healthz/live")).Response.StatusCode);
        foreach (var other in new[] { "/", "/api/v1/alerts/active", "/console/login", "/openapi/v1.json", "/api/v1/sightings" })
            Assert.Equal(404, (await OnMetricsPort(other)).Response.StatusCode);
    }

    [Fact]
    public async Task Outbox_lag_grows_per_lane_while_nothing_relays()
    {
        using var app = new CustomApp(new() { ["Whistle:Delivery:Enabled"] = "false" });
        var admin = await app.StaffAsync("admin");
        var res = await app.CreateClient().PostAsJsonAsync("/api/v1/subscriptions",
            new { channel = "email", address = "lag@example.org", language = "en", circle = new { lat = 44.95, lon = -93.26, radiusMeters = 300 } });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        // Its confirmation code waits in the outbox: the e-mail lane's age grows past a second; the others stay at zero.
        var samples = await WhistleApp.EventuallyAsync(async () => ObservabilityTests<ObservedSqliteApp>.Samples(await admin.GetStringAsync("/metrics")),
            s => s.GetValueOrDefault("whistle_outbox_lag_seconds{lane=\"email\"}") > 1, "the e-mail lane's lag to grow");
        Assert.Equal(0, samples["whistle_outbox_lag_seconds{lane=\"sms\"}"]);
    }

    [Fact]
    public async Task Spans_keep_the_route_and_drop_the_path_query_user_agent_and_outgoing_urls()
    {
        var spans = new List<Activity>();
        using var app = new CustomApp(new() { ["Whistle:Observability:OtlpEndpoint"] = $"http://127.0.0.1:{CustomApp.FreePort()}" },
            s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(new Capture(spans))));
        var client = app.CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Secret-Phone-Model/1.0");
        const string code = "RCPT-SECRET-7Q";
        await client.GetAsync($"/api/v1/submissions/receipt/{code}?contact=%2B16125550123&q=secret");
        await client.GetAsync("/api/v1/alerts/active?lang=es&near=44.95,-93.26");
        await WhistleApp.EventuallyAsync(() => Task.FromResult(Snapshot(spans).Count), c => c >= 2, "two server spans");
        foreach (var span in Snapshot(spans))
        {
            var all = span.DisplayName + " " + string.Join(" ", span.TagObjects.Select(t => t.Key + "=" + t.Value));
            Assert.DoesNotContain(code, all);
            Assert.DoesNotContain("6125550123", all);
            Assert.DoesNotContain("secret", all, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("44.95", all);
            Assert.DoesNotContain("Phone-Model", all);
            Assert.All(span.TagObjects, t => Assert.Contains(t.Key, SpanScrubber.Allowed));
        }
        Assert.Contains(Snapshot(spans), s => s.GetTagItem("http.route") is "/api/v1/alerts/active");
    }

    private static List<Activity> Snapshot(List<Activity> spans)
    {
        lock (spans) return spans.Where(s => s.Kind == ActivityKind.Server).ToList();
    }

    private sealed class Capture(List<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity activity)
        {
            lock (spans) spans.Add(activity);
        }
    }
}
