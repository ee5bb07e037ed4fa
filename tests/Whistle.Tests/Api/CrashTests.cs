using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>Tests that time one process against another (kills, paced sending): they run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "timed";
}

/// <summary>
/// A separate Whistle process (the built Whistle.dll) is killed with SIGKILL five times during a
/// 20,000-recipient fan-out and started again on the same data dir: everyone gets the alert, and
/// the only duplicates are messages of a batch that was in flight at a kill.
/// </summary>
/// <remarks>
/// Not in the timed collection (decision 0044): each run has its own data dir, ports and database, and a busy machine
/// only slows the relay, which keeps the kills mid-way; the two databases are two classes so they can overlap.
/// </remarks>
public abstract class CrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Recipients = 20_000, BatchSize = 200, Kills = 5;
    /// <summary>The demo's subscribers are on SMS and e-mail: each channel is a lane with its own batch in flight.</summary>
    private const int Lanes = 2;

    /// <summary>
    /// SQLite: one Whistle process. PostgreSQL: two processes sharing one database (and one outbox), killed
    /// in turn; each is started again after its kill while the other carries on.
    /// </summary>
    protected abstract Db Db { get; }

    [Fact]
    public async Task Killed_five_times_mid_fan_out_every_recipient_gets_the_alert_and_duplicates_stay_within_the_in_flight_batches()
    {
        var db = Db;
        var dataDir = Directory.CreateTempSubdirectory("whistle-crash-").FullName;
        string? pgAdmin = null, pgDatabase = null, connectionString = null;
        if (db == Db.Postgres)
        {
            pgAdmin = Environment.GetEnvironmentVariable(WhistleApp.PgEnv)
                ?? throw new InvalidOperationException($"{WhistleApp.PgEnv} is not set: run ./test.sh.");
            pgDatabase = "whistle_crash_" + Guid.NewGuid().ToString("N")[..8];
            await using (var conn = new Npgsql.NpgsqlConnection(pgAdmin))
            {
                await conn.OpenAsync();
                await new Npgsql.NpgsqlCommand($"CREATE DATABASE {pgDatabase}", conn).ExecuteNonQueryAsync();
            }
            connectionString = new Npgsql.NpgsqlConnectionStringBuilder(pgAdmin) { Database = pgDatabase }.ToString();
        }
        int nodes = db == Db.Postgres ? 2 : 1;
        // One sink file per process (the development sink, like a provider, sees each process's messages).
        var outboxes = Enumerable.Range(0, nodes).Select(n => Path.Combine(dataDir, $"outbox-{n}.jsonl")).ToArray();
        var urls = Enumerable.Range(0, nodes).Select(_ => $"http://127.0.0.1:{CustomApp.FreePort()}").ToArray();
        const string admin = "crash-admin@staff.test", password = "Crash-test-passphrase-1";
        Process Start(int node)
        {
            var psi = new ProcessStartInfo("dotnet", [WhistleBuild.Dll, "--urls", urls[node]])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            psi.Environment["Whistle__DataDir"] = dataDir;
            psi.Environment["Whistle__Demo"] = "true";
            psi.Environment["Whistle__DemoSubscribers"] = Recipients.ToString();
            psi.Environment["Whistle__Bootstrap__AdminEmail"] = admin;
            psi.Environment["Whistle__Bootstrap__AdminPassword"] = password;
            psi.Environment["Whistle__Delivery__BatchSize"] = BatchSize.ToString();
            psi.Environment["Whistle__Delivery__LeaseSeconds"] = "2";
            psi.Environment["Whistle__Delivery__PollMilliseconds"] = "100";
            // Paced so the fan-out outlasts a restart on a busy machine: unpaced, the sink sends 20,000 in a few seconds
            // and a restarted process could finish them all before the test sees it up (the kills then land too late).
            psi.Environment["Whistle__Delivery__DevSinkPerSecond"] = "400";
            psi.Environment["Whistle__Delivery__DevOutboxPath"] = outboxes[node];
            if (connectionString is not null)
            {
                psi.Environment["Whistle__Database__Provider"] = "postgres";
                psi.Environment["Whistle__Database__ConnectionString"] = connectionString;
            }
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return p;
        }
        var http = urls.Select(u => new HttpClient { BaseAddress = new Uri(u) }).ToArray();
        async Task Ready(int node) => await WhistleApp.EventuallyAsync(async () =>
        {
            try { return (await http[node].GetAsync("/healthz")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, ok => ok, $"Whistle {node} to answer /healthz", timeoutMs: 120_000);
        List<string> Lines(string alertId) => outboxes.SelectMany(outbox => Read(outbox, alertId)).ToList();
        long Bytes() => outboxes.Sum(o => File.Exists(o) ? new FileInfo(o).Length : 0);

        // The first node migrates and seeds; the second starts on the database it made.
        var processes = new Process[nodes];
        try
        {
            for (int node = 0; node < nodes; node++)
            {
                processes[node] = Start(node);
                await Ready(node);
                var login = await http[node].PostAsJsonAsync("/api/v1/auth/login", new { email = admin, password });
                var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
                http[node].DefaultRequestHeaders.Authorization = new("Bearer", token);
            }
            var res = await http[0].PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 44.98, lon = -93.27, radiusMeters = 30_000 }, audience = "public", audienceReason = "Crash test: a drill to every demo subscriber" });
            var created = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(Recipients, created["recipients"]!.GetValue<int>());
            var alertId = created["id"]!.GetValue<string>();

            // Kill points spread over the first two thirds of the fan-out, at random. Progress is read from
            // the sink's size (cheap), so the test keeps up with a relay that sends thousands a second.
            await WhistleApp.EventuallyAsync(() => Task.FromResult(Lines(alertId).Count), n => n >= 100, "the first messages", 60_000);
            double lineBytes = Bytes() / (double)outboxes.Where(File.Exists).Sum(o => File.ReadLines(o).Count());
            var random = new Random();
            var points = Enumerable.Range(0, Kills).Select(k => 500 + k * 2_000 + random.Next(1_000)).ToList();
            int midway = 0;
            // A restarted node comes back in its own time while the other carries on; it must be up before its next kill.
            var ready = Enumerable.Range(0, nodes).Select(_ => Task.CompletedTask).ToArray();
            for (int k = 0; k < Kills; k++)
            {
                int node = k % nodes;
                await ready[node];
                await WhistleApp.EventuallyAsync(() => Task.FromResult(Bytes()), n => n >= points[k] * lineBytes, $"{points[k]} messages out", 60_000);
                processes[node].Kill(entireProcessTree: true);
                await processes[node].WaitForExitAsync();
                int atKill = Lines(alertId).Count;
                output.WriteLine($"killed node {node} with {atKill} messages out");
                if (atKill < Recipients) midway++;
                processes[node].Dispose();
                processes[node] = Start(node);
                ready[node] = Ready(node);
            }
            await Task.WhenAll(ready);

            // A machine under load may let the relay outrun a kill; most kills must still land mid-way.
            Assert.True(midway >= 3, $"only {midway} of {Kills} kills came before the fan-out finished");
            var alert = await WhistleApp.EventuallyAsync(async () => (await http[0].GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!,
                a => a["deliveries"]!["pending"]!.GetValue<int>() == 0 && a["deliveries"]!["failed"]!.GetValue<int>() == 0, "the fan-out to finish", 180_000);
            Assert.Equal(Recipients, alert["deliveries"]!["sent"]!.GetValue<int>());
            var lines = Lines(alertId);
            Assert.Equal(Recipients, lines.Distinct().Count());
            int duplicates = lines.Count - Recipients;
            output.WriteLine($"{Recipients} recipients, {lines.Count} messages, {duplicates} duplicates");
            // A kill can cut short the batch each lane has in flight; what it had written is sent again, nothing more.
            Assert.True(duplicates <= Kills * Lanes * BatchSize, $"{duplicates} duplicates after {Kills} kills with batches of {BatchSize} in {Lanes} lanes");
        }
        finally
        {
            foreach (var p in processes)
            {
                if (p is null) continue;
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
            foreach (var h in http) h.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (pgDatabase is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await using var conn = new Npgsql.NpgsqlConnection(pgAdmin);
                await conn.OpenAsync();
                await new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {pgDatabase} WITH (FORCE)", conn).ExecuteNonQueryAsync();
            }
            try { Directory.Delete(dataDir, true); } catch (IOException) { }
        }
    }

    private static List<string> Read(string outbox, string alertId)
    {
        if (!File.Exists(outbox)) return [];
        using var fs = new FileStream(outbox, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        var result = new List<string>();
        while (reader.ReadLine() is { } line)
            if (line.Contains(alertId)) result.Add(System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("recipient").GetString()!);
        return result;
    }
}

public sealed class CrashTestsSqlite(Xunit.Abstractions.ITestOutputHelper output) : CrashTests(output) { protected override Db Db => Db.Sqlite; }

public sealed class CrashTestsPostgres(Xunit.Abstractions.ITestOutputHelper output) : CrashTests(output) { protected override Db Db => Db.Postgres; }
