using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Whistle.Tests.Api;

/// <summary>
/// A separate Whistle process (the built Whistle.dll) is killed with SIGKILL five times during a
/// 20,000-recipient fan-out and started again on the same data dir: everyone gets the alert, and
/// the only duplicates are messages of a batch that was in flight at a kill.
/// </summary>
/// <summary>Tests that time one process against another (kills, paced sending): they run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "timed";
}

[Collection(TimedCollection.Name)]
public sealed class CrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Recipients = 20_000, BatchSize = 200, Kills = 5;

    [Fact]
    public async Task Killed_five_times_mid_fan_out_every_recipient_gets_the_alert_and_duplicates_stay_within_the_in_flight_batches()
    {
        var dataDir = Directory.CreateTempSubdirectory("whistle-crash-").FullName;
        int port = CustomApp.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        const string admin = "crash-admin@staff.test", password = "Crash-test-passphrase-1";
        Process Start()
        {
            var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Whistle.dll"), "--urls", baseUrl])
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
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return p;
        }
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        async Task Ready() => await WhistleApp.EventuallyAsync(async () =>
        {
            try { return (await http.GetAsync("/healthz")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, ok => ok, "Whistle to answer /healthz", timeoutMs: 90_000);
        var outbox = Path.Combine(dataDir, "dev-outbox.jsonl");
        List<string> Lines(string alertId)
        {
            if (!File.Exists(outbox)) return [];
            using var fs = new FileStream(outbox, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(fs);
            var result = new List<string>();
            while (reader.ReadLine() is { } line)
                if (line.Contains(alertId)) result.Add(System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("recipient").GetString()!);
            return result;
        }

        var process = Start();
        try
        {
            await Ready();
            var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = admin, password });
            var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var res = await http.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 44.98, lon = -93.27, radiusMeters = 30_000 } });
            var created = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(Recipients, created["recipients"]!.GetValue<int>());
            var alertId = created["id"]!.GetValue<string>();

            // Kill points spread over the first two thirds of the fan-out, at random. Progress is read from
            // the sink's size (cheap), so the test keeps up with a relay that sends thousands a second.
            await WhistleApp.EventuallyAsync(() => Task.FromResult(Lines(alertId).Count), n => n >= 100, "the first messages", 60_000);
            double lineBytes = new FileInfo(outbox).Length / (double)File.ReadLines(outbox).Count();
            var random = new Random();
            var points = Enumerable.Range(0, Kills).Select(k => 500 + k * 2_000 + random.Next(1_000)).ToList();
            int midway = 0;
            foreach (var point in points)
            {
                await WhistleApp.EventuallyAsync(() => Task.FromResult(new FileInfo(outbox).Length), n => n >= point * lineBytes, $"{point} messages out", 60_000);
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                int atKill = Lines(alertId).Count;
                output.WriteLine($"killed with {atKill} messages out");
                if (atKill < Recipients) midway++;
                process.Dispose();
                process = Start();
                await Ready();
            }

            // A machine under load may let the relay outrun a kill; most kills must still land mid-way.
            Assert.True(midway >= 3, $"only {midway} of {Kills} kills came before the fan-out finished");
            var alert = await WhistleApp.EventuallyAsync(async () => (await http.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{alertId}"))!,
                a => a["deliveries"]!["pending"]!.GetValue<int>() == 0 && a["deliveries"]!["failed"]!.GetValue<int>() == 0, "the fan-out to finish", 120_000);
            Assert.Equal(Recipients, alert["deliveries"]!["sent"]!.GetValue<int>());
            var lines = Lines(alertId);
            Assert.Equal(Recipients, lines.Distinct().Count());
            int duplicates = lines.Count - Recipients;
            output.WriteLine($"{Recipients} recipients, {lines.Count} messages, {duplicates} duplicates");
            Assert.True(duplicates <= Kills * BatchSize, $"{duplicates} duplicates after {Kills} kills with batches of {BatchSize}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dataDir, true); } catch (IOException) { }
        }
    }
}
