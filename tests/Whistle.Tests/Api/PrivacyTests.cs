using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Privacy;

namespace Whistle.Tests.Api;

/// <summary>A Whistle app with settings and services of the test's choosing; not a shared fixture.</summary>
public sealed class CustomApp : WhistleApp
{
    private readonly Action<IServiceCollection>? services;

    public CustomApp(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null, Db db = Db.Sqlite, int? kestrelPort = null)
        : base(db, settings)
    {
        this.services = services;
        // Served on a real loopback port, for peers that call back over HTTP (a provider's status callbacks).
        if (kestrelPort is { } port) UseKestrel(port);
    }

    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    protected override void ConfigureTestServices(IServiceCollection s) => services?.Invoke(s);
}

public sealed class PrivacyTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static readonly string[] Secrets = ["+16125550177", "secret.person@example.org", "+16125550188", "call-me-at-6125550199"];

    [Fact]
    public async Task Neither_the_database_files_nor_the_logs_hold_an_address_or_a_reporters_contact()
    {
        var client = app.CreateClient();
        var dispatcher = await app.StaffAsync("dispatcher");
        var here = new { lat = 44.98, lon = -93.27, radiusMeters = 800 };
        await app.SubscribeAsync(client, "sms", Secrets[0], "es", circle: here);
        await app.SubscribeAsync(client, "email", Secrets[1], "en", zones: [82]);
        await app.SubscribeAsync(client, "sms", Secrets[2], "so", circle: here, confirm: false);
        var report = await client.PostAsJsonAsync("/api/v1/reports", new { activity = "arrest", lat = 44.98, lon = -93.27, contact = Secrets[3] });
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" });
        var alert = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = here });
        var alertId = (await alert.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        await WhistleApp.DeliveredAsync(dispatcher, Guid.Parse(alertId));
        await app.UnsubscribeAsync(client, Secrets[0]);

        // The dispatcher can still read the contact to call back: it is encrypted, not lost.
        var detail = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;
        Assert.Equal(Secrets[3], detail["reports"]![0]!["contact"]!.GetValue<string>());

        // The -wal and -shm files first, the database last: SQLite may checkpoint and delete the WAL between
        // the listing and the reading, and then what it held is in the database, read after it.
        var files = Directory.GetFiles(app.DataDir, "whistle.db*").OrderByDescending(f => f.Length).ToList();
        Assert.Contains(files, f => f.EndsWith("whistle.db"));
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var ms = new MemoryStream();
                fs.CopyTo(ms);
                bytes = ms.ToArray();
            }
            catch (FileNotFoundException) when (!file.EndsWith("whistle.db"))
            {
                continue; // checkpointed into the database, which is read last
            }
            foreach (var secret in Secrets.Append("6125550177").Append("secret.person"))
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} holds {secret}");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} holds {secret} (UTF-16)");
            }
        }
        var logs = string.Join("\n", app.Logs);
        Assert.NotEmpty(app.Logs);
        foreach (var secret in Secrets.Append("6125550177"))
            Assert.DoesNotContain(secret, logs);
    }

    [Fact]
    public void The_key_file_is_readable_by_its_owner_only()
    {
        _ = app.Services; // started
        var mode = File.GetUnixFileMode(Path.Combine(app.DataDir, "keys.json"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }
}

public sealed class RetentionTests
{
    [Fact]
    public async Task A_reporters_contact_is_purged_after_48_hours_and_an_unverified_sighting_expires()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new CustomApp([], s => s.AddSingleton<TimeProvider>(fake));
        var client = app.CreateClient();
        var report = await client.PostAsJsonAsync("/api/v1/reports", new { activity = "home_raid", placeText = "Cedar Ave", contact = "+16125550155" });
        Assert.Equal(HttpStatusCode.Created, report.StatusCode);
        var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
        var housekeeping = app.Services.GetRequiredService<Housekeeping>();

        async Task<JsonObject> Read() => (await (await app.StaffAsync("dispatcher")).GetFromJsonAsync<JsonObject>($"/api/v1/sightings/{sighting}"))!;

        fake.Advance(TimeSpan.FromMinutes(119));
        await housekeeping.RunOnceAsync(default);
        var early = await Read();
        Assert.Equal("+16125550155", early["reports"]![0]!["contact"]!.GetValue<string>());
        Assert.Equal("new", early["sighting"]!["state"]!.GetValue<string>());

        fake.Advance(TimeSpan.FromMinutes(2));
        await housekeeping.RunOnceAsync(default);
        var expired = await Read();
        Assert.Equal("unconfirmed", expired["sighting"]!["state"]!.GetValue<string>());
        Assert.Equal("system", expired["history"]![0]!["actor"]!.GetValue<string>());
        Assert.True(expired["reports"]![0]!["hasContact"]!.GetValue<bool>());

        fake.Advance(TimeSpan.FromHours(46));
        await housekeeping.RunOnceAsync(default);
        var purged = await Read();
        Assert.Null(purged["reports"]![0]!["contact"]);
        Assert.False(purged["reports"]![0]!["hasContact"]!.GetValue<bool>());
        // The report itself — what was seen, where, when — stays.
        Assert.Equal("Cedar Ave", purged["reports"]![0]!["placeText"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_fan_outs_order_is_dropped_a_week_after_its_alert_expired_and_not_before()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new CustomApp([], s => s.AddSingleton<TimeProvider>(fake));
        await Seed.SubscribersAsync(app, 3, 45.7, -94.7, Whistle.Subscriptions.SubscriberChannel.Email);
        var dispatcher = await app.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, expiresInMinutes = 60, circle = new { lat = 45.7, lon = -94.7, radiusMeters = 100 } });
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, id);
        var housekeeping = app.Services.GetRequiredService<Housekeeping>();
        async Task<int> Orders()
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>().FanoutOrders.CountAsync(f => f.AlertId == id);
        }

        fake.Advance(TimeSpan.FromMinutes(60) + Housekeeping.FanoutOrderKept - TimeSpan.FromMinutes(1));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal(1, await Orders());
        fake.Advance(TimeSpan.FromMinutes(2));
        await housekeeping.RunOnceAsync(default);
        Assert.Equal(0, await Orders());
        // The alert and its delivery counts stay (a week on, the dispatcher logs in again: tokens last 12 hours).
        var later = await app.StaffAsync("dispatcher");
        Assert.Equal(3, (await later.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["deliveries"]!["sent"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_alert_that_expires_before_its_turn_stops_sending()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new CustomApp(new() { ["Whistle:Delivery:Enabled"] = "false" }, s => s.AddSingleton<TimeProvider>(fake));
        await Seed.SubscribersAsync(app, 4, 45.8, -94.8, Whistle.Subscriptions.SubscriberChannel.Email);
        var dispatcher = await app.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, expiresInMinutes = 5, circle = new { lat = 45.8, lon = -94.8, radiusMeters = 100 } });
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());

        fake.Advance(TimeSpan.FromMinutes(5));
        var relay = app.Services.GetRequiredService<Whistle.Delivery.DeliveryRelay>();
        Assert.Equal(4, await relay.RunOnceAsync(default));
        var alert = (await dispatcher.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!;
        Assert.Equal(4, alert["deliveries"]!["dead"]!.GetValue<int>());
        Assert.Equal("expired", alert["state"]!.GetValue<string>());
        Assert.DoesNotContain(app.Outbox(), l => l.AlertId == id);
    }

    [Fact]
    public async Task Past_the_configured_limit_reports_get_429_with_problem_details_and_what_was_accepted_is_kept()
    {
        using var app = new CustomApp(new() { ["Whistle:RateLimits:ReportsPerMinute"] = "3" });
        var client = app.CreateClient();
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = 44 + i, lon = -93.0 })).StatusCode);
        var limited = await client.PostAsJsonAsync("/api/v1/reports", new { activity = "patrol", lat = 40.0, lon = -93.0 });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.True(limited.Headers.RetryAfter is not null);
        // Subscriptions have their own budget.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel = "email", address = "rl@example.org", language = "en", zones = new[] { 3 }, drills = true })).StatusCode);
        var sightings = await WhistleApp.QueueAsync(await app.StaffAsync("dispatcher"));
        Assert.Equal(3, sightings.Count);
    }

    [Fact]
    public async Task After_a_key_rotation_old_addresses_still_deliver_and_are_re_encrypted_under_the_new_key()
    {
        var dir = Directory.CreateTempSubdirectory("whistle-rotate-").FullName;
        var settings = new Dictionary<string, string?> { ["Whistle:DataDir"] = dir };
        using (var first = new CustomApp(settings))
            await first.SubscribeAsync(first.CreateClient(), "email", "rotate@example.org", "en", circle: new { lat = 46.0, lon = -92.0, radiusMeters = 300 });

        var keyFile = Path.Combine(dir, "keys.json");
        KeyRing.Load(null, keyFile).Rotate().Save(keyFile);

        using var second = new CustomApp(settings);
        var dispatcher = await second.StaffAsync("dispatcher");
        var res = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 46.0, lon = -92.0, radiusMeters = 500 } });
        var id = Guid.Parse((await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        await WhistleApp.DeliveredAsync(dispatcher, id);
        Assert.Contains(second.Outbox(), l => l.AlertId == id && l.Recipient == "rotate@example.org");
        await using var scope = second.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
        var cipher = db.Subscribers.Single().AddressCipher!;
        Assert.Equal(2, cipher[0]);
    }
}

/// <summary>
/// Issue 16 §2: the log test extended to the new components. Logs are written as the production JSON lines
/// (<see cref="Whistle.Platform.JsonLogFormatter"/>), Redis is configured but down, and the flows that touch personal data
/// run — subscribe (SMS and e-mail), a report with a contact and words, its confirmation, an alert delivered, readiness
/// failing on Redis. No line, and nothing /metrics shows, holds an address, a contact or the report's words.
/// </summary>
public sealed class JsonLogPrivacyTests
{
    private static readonly string[] Secrets =
        ["+16125550311", "6125550311", "json.secret@example.org", "json.secret", "+16125550322", "6125550322", "words-only-the-reporter-wrote", "77 Hidden Lane"];

    [Fact]
    public async Task Json_log_lines_and_metrics_hold_no_address_contact_or_report_text()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // A private Redis, killed once staff are signed in (login fails closed while the shared limits' store is down,
        // decision 0046): everything after runs with Redis configured but gone, as a node sees a Redis crash.
        int port = CustomApp.FreePort();
        var dir = Directory.CreateTempSubdirectory("whistle-redis-").FullName;
        using var redis = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("redis-server",
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            await WhistleApp.EventuallyAsync(async () =>
            {
                try
                {
                    using var tcp = new System.Net.Sockets.TcpClient();
                    await tcp.ConnectAsync("127.0.0.1", port);
                    return true;
                }
                catch (System.Net.Sockets.SocketException) { return false; }
            }, x => x, "redis-server to listen", 10_000);
            using var app = new CustomApp(
                new() { ["Whistle:Redis:ConnectionString"] = $"127.0.0.1:{port},connectTimeout=500", ["Whistle:Observability:JsonLogs"] = "true" },
                s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(new JsonLines(lines)));
            var client = app.CreateClient();
            var dispatcher = await app.StaffAsync("dispatcher");
            var admin = await app.StaffAsync("admin");
            redis.Kill();
            await redis.WaitForExitAsync();
            var here = new { lat = 44.97, lon = -93.28, radiusMeters = 700 };
            await app.SubscribeAsync(client, "sms", Secrets[0], "en", circle: here);
            await app.SubscribeAsync(client, "email", Secrets[2], "es", circle: here);
            var report = await client.PostAsJsonAsync("/api/v1/reports",
                new { activity = "arrest", lat = 44.97, lon = -93.28, contact = Secrets[4], text = Secrets[6], placeText = Secrets[7] });
            Assert.Equal(HttpStatusCode.Created, report.StatusCode);
            var sighting = (await report.Content.ReadFromJsonAsync<JsonObject>())!["sightingId"]!.GetValue<string>();
            await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/verification", new { outcome = "confirmed" });
            var alert = await dispatcher.PostAsJsonAsync("/api/v1/alerts", new { sightingId = sighting, circle = here });
            Assert.Equal(HttpStatusCode.Created, alert.StatusCode);
            await WhistleApp.DeliveredAsync(dispatcher, Guid.Parse((await alert.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>()));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/healthz/ready")).StatusCode);
            var metrics = await admin.GetStringAsync("/metrics");
            Assert.Contains("whistle_deliveries_total{", metrics);

            Assert.Contains(lines, l => l.Contains("\"Error\"", StringComparison.Ordinal) && l.Contains("redis", StringComparison.Ordinal));
            foreach (var line in lines)
            {
                using var json = System.Text.Json.JsonDocument.Parse(line);
                Assert.Equal(System.Text.Json.JsonValueKind.Object, json.RootElement.ValueKind);
                Assert.False(line.Contains('\n'), "one line per entry");
            }
            var all = string.Join("\n", lines);
            foreach (var secret in Secrets)
            {
                Assert.DoesNotContain(secret, all);
                Assert.DoesNotContain(secret, metrics);
            }
        }
        finally
        {
            if (!redis.HasExited) redis.Kill();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The production formatter's lines, captured instead of written to stdout.</summary>
    private sealed class JsonLines(System.Collections.Concurrent.ConcurrentQueue<string> sink) : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string category) => new Logger(category, sink);
        public void Dispose() { }

        private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> sink) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel level) => true;
            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel level, Microsoft.Extensions.Logging.EventId id, TState state, Exception? ex,
                Func<TState, Exception?, string> format) =>
                sink.Enqueue(Whistle.Platform.JsonLogFormatter.Line(DateTimeOffset.UtcNow, level, category, id, format(state, ex), ex, System.Diagnostics.Activity.Current));
        }
    }
}
