using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Whistle.Identity;

namespace Whistle.Tests.Api;

public enum Db { Sqlite, Postgres }

/// <summary>
/// A whole Whistle over HTTP, on its own data dir and its own database (a SQLite file, or a fresh
/// PostgreSQL database in the cluster ./test.sh starts). One per test class.
/// </summary>
public abstract class WhistleApp : WebApplicationFactory<Program>
{
    public const string PgEnv = "WHISTLE_TEST_PG";
    private readonly Dictionary<string, string?> _settings;
    private readonly string? _pgDatabase;
    private readonly string? _pgAdmin;
    private readonly bool _ownsDataDir;

    protected WhistleApp(Db db, Dictionary<string, string?>? settings = null)
    {
        _ownsDataDir = settings?.GetValueOrDefault("Whistle:DataDir") is null;
        DataDir = settings?.GetValueOrDefault("Whistle:DataDir") ?? Directory.CreateTempSubdirectory("whistle-test-").FullName;
        _settings = new()
        {
            ["Whistle:DataDir"] = DataDir,
            ["Whistle:Demo"] = "true",
            ["Whistle:DemoSubscribers"] = "0",
            ["Whistle:Delivery:PollMilliseconds"] = "100",
            // The local fakes (push service, webhook receiver) listen on 127.0.0.1.
            ["Whistle:Delivery:AllowPrivateNetworks"] = "true",
            ["Whistle:RateLimits:ReportsPerMinute"] = "1000",
            ["Whistle:RateLimits:SubscriptionsPerMinute"] = "1000",
            ["Whistle:RateLimits:LoginPerMinute"] = "1000",
            // Tests post hundreds of reports from one address; the intake tests set realistic budgets.
            ["Whistle:Intake:NetworkPerMinute"] = "100000",
            ["Whistle:Intake:AreaPerMinute"] = "100000",
            // PBKDF2 at the product's 210,000 iterations costs 0.1–0.3 s of CPU per staff creation and per login; the
            // tests about that cost (the hash format, an unknown e-mail costing what a real one costs) set it back
            // with RealPasswordCost. Decision 0044.
            [PasswordIterations] = "1000",
        };
        if (db == Db.Postgres)
        {
            _pgAdmin = Environment.GetEnvironmentVariable(PgEnv)
                ?? throw new InvalidOperationException($"{PgEnv} is not set: run ./test.sh, which starts a PostgreSQL cluster for these tests.");
            _pgDatabase = "whistle_" + Guid.NewGuid().ToString("N")[..12];
            using (var conn = new NpgsqlConnection(_pgAdmin))
            {
                conn.Open();
                using var cmd = new NpgsqlCommand($"CREATE DATABASE {_pgDatabase}", conn);
                cmd.ExecuteNonQuery();
            }
            _settings["Whistle:Database:Provider"] = "postgres";
            _settings["Whistle:Database:ConnectionString"] = new NpgsqlConnectionStringBuilder(_pgAdmin) { Database = _pgDatabase }.ToString();
        }
        foreach (var kv in settings ?? []) _settings[kv.Key] = kv.Value;
    }

    /// <summary>A test-only setting (not the product's): the PBKDF2 iteration count of this app's password hasher.</summary>
    public const string PasswordIterations = "Test:PasswordIterations";
    /// <summary>Settings for an app whose passwords cost what the product's do (210,000 iterations).</summary>
    public static Dictionary<string, string?> RealPasswordCost => new() { [PasswordIterations] = null };

    public string DataDir { get; }
    /// <summary>The settings this app was started with (for a second app on the same database).</summary>
    public IReadOnlyDictionary<string, string?> Settings => _settings;
    public string OutboxPath => Path.Combine(DataDir, "dev-outbox.jsonl");
    public ConcurrentQueue<string> Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        builder.ConfigureLogging(l => l.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(new CaptureLogs(Logs)));
        builder.ConfigureServices(ConfigureTestServices);
        if (_settings.GetValueOrDefault(PasswordIterations) is { } iterations)
            builder.ConfigureServices(s => s.PostConfigure<Microsoft.AspNetCore.Identity.PasswordHasherOptions>(o => o.IterationCount = int.Parse(iterations)));
    }

    protected virtual void ConfigureTestServices(IServiceCollection services) { }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A client logged in as a new staff member with the role.</summary>
    public async Task<HttpClient> StaffAsync(string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@staff.test";
        var password = IdentitySetup.GeneratePassword();
        await using (var scope = Services.CreateAsyncScope())
        {
            var result = await IdentitySetup.CreateStaffAsync(scope.ServiceProvider, email, role, password);
            Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
        }
        var client = CreateClient();
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Every sighting in the queue, walking its pages (GET /api/v1/sightings gives one page and a cursor).</summary>
    public static async Task<List<JsonObject>> QueueAsync(HttpClient staff, int limit = 200)
    {
        var all = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var page = (await staff.GetFromJsonAsync<JsonObject>($"/api/v1/sightings?limit={limit}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))))!;
            all.AddRange(page["items"]!.AsArray().Select(x => x!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return all;
    }

    /// <summary>A staff member's account id.</summary>
    public static async Task<string> IdAsync(HttpClient staff) =>
        (await staff.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!["id"]!.GetValue<string>();

    /// <summary>The dispatcher sends this verifier (by name, on duty or not) to the sighting.</summary>
    public static async Task SendAsync(HttpClient dispatcher, HttpClient verifier, object sighting, string? note = null)
    {
        var res = await dispatcher.PostAsJsonAsync($"/api/v1/sightings/{sighting}/dispatch", new { note, verifierIds = new[] { await IdAsync(verifier) } });
        Assert.Equal(System.Net.HttpStatusCode.OK, res.StatusCode);
    }

    /// <summary>Lines the dev sink wrote.</summary>
    public List<OutboxLine> Outbox() =>
        File.Exists(OutboxPath)
            ? ReadShared(OutboxPath).Select(l => JsonSerializer.Deserialize<OutboxLine>(l, Json)!).ToList()
            : [];

    private static IEnumerable<string> ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) if (line.Length > 0) lines.Add(line);
        return lines;
    }

    /// <summary>Polls until the condition holds (the relay works in the background); fails after the timeout.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}; last value: {JsonSerializer.Serialize(value)}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Subscribes and confirms with the code that arrives through the channel; the subscriber's id, found by the
    /// address's blind index (the API names no ids). Test subscribers opt into drills unless told not to (tests send drills).
    /// </summary>
    public async Task<long> SubscribeAsync(HttpClient client, string channel, string address, string language,
        int[]? zones = null, object? circle = null, bool confirm = true, bool drills = true)
    {
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions", new { channel, address, language, zones, circle, drills });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, res.StatusCode);
        var id = await SubscriberIdAsync(channel, address);
        if (!confirm) return id;
        var line = await EventuallyAsync(() => Task.FromResult(Outbox().LastOrDefault(l => l.AlertId is null && l.Recipient == address)),
            l => l is not null, $"the confirmation code for subscriber {id}");
        var code = Regex.Match(line!.Text, @"\b\d{6}\b").Value;
        Assert.Equal(language, line.Language);
        var ok = await client.PostAsJsonAsync("/api/v1/subscriptions/confirm", new { address, code });
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        return id;
    }

    /// <summary>The id of the subscriber at the address (channel "sms", "email", "webpush", "webhook"), by its blind index; 0 when none.</summary>
    public async Task<long> SubscriberIdAsync(string channel, string address)
    {
        var c = Enum.Parse<Whistle.Subscriptions.SubscriberChannel>(channel, ignoreCase: true);
        await using var scope = Services.CreateAsyncScope();
        var keys = scope.ServiceProvider.GetRequiredService<Whistle.Privacy.KeyRing>();
        var hash = keys.Hash(Whistle.Subscriptions.Addresses.LookupKey(c, Whistle.Subscriptions.Addresses.Normalize(c, address, out _)!));
        var db = scope.ServiceProvider.GetRequiredService<Whistle.Data.WhistleDb>();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
            db.Subscribers.Where(s => s.AddressHash == hash).Select(s => s.Id));
    }

    /// <summary>Unsubscribes as the owner of the address: asks, reads the code that arrives, types it back.</summary>
    public async Task UnsubscribeAsync(HttpClient client, string address)
    {
        int before = Outbox().Count;
        var res = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe", new { address });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, res.StatusCode);
        var line = await EventuallyAsync(() => Task.FromResult(Outbox().Skip(before).LastOrDefault(l => l.AlertId is null && l.Recipient == address)),
            l => l is not null, $"the unsubscribe code for {address}");
        var code = Regex.Match(line!.Text, @"\b\d{6}\b").Value;
        var ok = await client.PostAsJsonAsync("/api/v1/subscriptions/unsubscribe/confirm", new { address, code });
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
    }

    /// <summary>Waits until no delivery of the alert is pending or failed, and returns the alert.</summary>
    public static Task<JsonObject> DeliveredAsync(HttpClient staff, Guid alertId) =>
        EventuallyAsync(async () => (await staff.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!,
            a => a["deliveries"]!["pending"]!.GetValue<int>() == 0 && a["deliveries"]!["failed"]!.GetValue<int>() == 0,
            $"alert {alertId} to be delivered");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        if (_pgDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var conn = new NpgsqlConnection(_pgAdmin);
            conn.Open();
            using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgDatabase} WITH (FORCE)", conn);
            cmd.ExecuteNonQuery();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsDataDir)
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

public sealed class SqliteApp() : WhistleApp(Db.Sqlite);

public sealed class PostgresApp() : WhistleApp(Db.Postgres);

public sealed record OutboxLine(Guid? AlertId, string Recipient, string Channel, string Language, string Text);

internal sealed class CaptureLogs(ConcurrentQueue<string> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string category) => new Logger(category, sink);
    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel level) => true;
        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? ex, Func<TState, Exception?, string> format) =>
            sink.Enqueue($"{level} {category}: {format(state, ex)} {ex}");
    }
}
