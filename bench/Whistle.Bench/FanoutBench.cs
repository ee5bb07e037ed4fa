using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Whistle.Fakes;

/// <summary>
/// Delivery end to end, over real HTTP between processes: a Whistle process on the seeded data dir,
/// a local fake Twilio in this one. The figures come from the fake's own arrival clock.
/// </summary>
public static class FanoutBench
{
    private const string Admin = "bench-admin@staff.test", Password = "Bench-passphrase-123";

    public static async Task RunAsync(string dataDir, string? postgres, int n, int rate, string? concurrency)
    {
        await using var twilio = await FakeTwilio.StartAsync();
        twilio.KeepMessages = false;

        // 1. Unthrottled provider: how fast the whole fan-out goes.
        using (var node = await WhistleProcess.StartAsync(dataDir, postgres, twilio, perSecond: 1_000_000, concurrency))
        {
            var t0 = Stopwatch.GetTimestamp();
            var id = await node.AlertAsync();
            double enqueued = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            while (twilio.Accepted < n) await Task.Delay(100);
            double total = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            Console.WriteLine($"unthrottled: alert accepted (targeted + {n:N0} deliveries committed) in {enqueued:F2} s; all {n:N0} handed over after {total:F1} s");
            Console.WriteLine($"RESULT fan-out throughput, {n:N0} recipients, provider unthrottled, {(postgres is null ? "SQLite" : "PostgreSQL")}: " +
                              $"{n / total:N0} messages/s end to end ({n / (total - enqueued):N0}/s once enqueued)");
        }

        // 2. One sender paced at `rate` a second: how soon the nearest thousand have it.
        await using var paced = await FakeTwilio.StartAsync();
        paced.KeepMessages = false;
        using (var node = await WhistleProcess.StartAsync(dataDir, postgres, paced, perSecond: rate, concurrency))
        {
            var t0 = Stopwatch.GetTimestamp();
            var started = DateTimeOffset.UtcNow;
            var id = await node.AlertAsync();
            while (paced.Accepted < 1000) await Task.Delay(50);
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var arrivals = paced.FirstThousand.OrderBy(t => t).ToList();
            double window = (arrivals[^1] - arrivals[0]).TotalSeconds;
            // Carriers meter segments: a sender's rate is segments a second. The seeded languages are an even en/es/so/hmn mix.
            var sizes = (await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["sms"]!.AsObject();
            double segments = sizes.Average(l => l.Value!["segments"]!.GetValue<int>());
            Console.WriteLine($"SMS segments per language: {string.Join(", ", sizes.Select(l => $"{l.Key} {l.Value!["segments"]}"))} (mean {segments:F2}); " +
                              $"at {rate} segments/s less 5 % headroom, 1,000 messages take {1000 * segments * 1.05 / rate:F1} s");
            // Whistle's own figure, from its outbox (the moment the 1,000th was marked handed over).
            JsonNode? progress = null;
            for (int i = 0; i < 100 && progress?["firstThousandSeconds"] is null; i++)
            {
                progress = (await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/alerts/{id}"))!["progress"];
                if (progress?["firstThousandSeconds"] is null) await Task.Delay(200);
            }
            Console.WriteLine($"paced at {rate}/s: the 1,000th arrived {seconds:F1} s after the dispatcher pressed send " +
                              $"(first to 1,000th: {window:F1} s, {999 / window:F1} msg/s); Whistle reports firstThousandSeconds = {progress?["firstThousandSeconds"]}");
            Console.WriteLine($"RESULT nearest 1,000 of {n:N0} handed over by one sender at {rate} segments/s: {seconds:F1} s after send " +
                              $"(the pace alone allows {1000 * segments * 1.05 / rate:F1} s for these {segments:F2}-segment messages; {1000.0 * 1.05 / rate:F1} s were they one segment each)");
        }
    }

    private sealed class WhistleProcess : IDisposable
    {
        private readonly Process _process;
        public HttpClient Http { get; }

        private WhistleProcess(Process process, HttpClient http) => (_process, Http) = (process, http);

        public static async Task<WhistleProcess> StartAsync(string dataDir, string? postgres, FakeTwilio twilio, double perSecond, string? concurrency)
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var url = $"http://127.0.0.1:{port}";
            var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Whistle.dll"), "--urls", url])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            var env = psi.Environment;
            env["Whistle__DataDir"] = dataDir;
            env["Whistle__Bootstrap__AdminEmail"] = Admin;
            env["Whistle__Bootstrap__AdminPassword"] = Password;
            env["Whistle__PublicBaseUrl"] = url;
            env["Whistle__Sms__Twilio__BaseUrl"] = twilio.BaseUrl;
            env["Whistle__Sms__Twilio__AccountSid"] = FakeTwilio.AccountSid;
            env["Whistle__Sms__Twilio__AuthToken"] = FakeTwilio.AuthToken;
            env["Whistle__Sms__Twilio__From"] = "+15005550006";
            env["Whistle__Sms__Twilio__MessagesPerSecond"] = perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
            env["Logging__LogLevel__Default"] = "Warning";
            if (concurrency is not null) env["Whistle__Sms__Concurrency"] = concurrency;
            if (postgres is not null)
            {
                env["Whistle__Database__Provider"] = "postgres";
                env["Whistle__Database__ConnectionString"] = postgres;
            }
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) Console.Error.WriteLine("whistle: " + line); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
            for (var deadline = DateTime.UtcNow.AddMinutes(3); ; await Task.Delay(200))
            {
                try { if ((await http.GetAsync("/healthz")).IsSuccessStatusCode) break; }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            }
            var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = Admin, password = Password });
            var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            return new WhistleProcess(process, http);
        }

        /// <summary>A city-wide drill (25 km around downtown Minneapolis): everyone seeded.</summary>
        public async Task<string> AlertAsync()
        {
            var res = await Http.PostAsJsonAsync("/api/v1/alerts", new { drill = true, circle = new { lat = 44.9778, lon = -93.2650, radiusMeters = 25_000 } });
            res.EnsureSuccessStatusCode();
            return (await res.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
            Http.Dispose();
        }
    }
}
