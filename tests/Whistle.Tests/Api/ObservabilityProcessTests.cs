using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 16 §2 with the built Whistle.dll as a real process in Production: logs are one JSON object per line on stdout
/// (timestamp, level, category, message, and the trace id inside a request); /metrics is served on its own loopback
/// port without login and refused on the main port; and after a report with a contact, subscriptions and a Redis that
/// is down, neither the log lines nor /metrics hold a phone number, an e-mail address, the reporter's address or
/// the report's words.
/// </summary>
public sealed class ObservabilityProcessTests
{
    private static readonly string Dll = WhistleBuild.Dll;

    private static readonly string[] Secrets =
    [
        "+16125550166", "6125550166", "(612) 555-0166", "+16125550177", "6125550177", "hidden.person@example.org", "hidden.person",
        "203.0.113.77", "the-secret-report-words-4411", "1234 Secret Street",
    ];

    [Fact]
    public async Task Json_logs_a_private_metrics_port_and_no_personal_data_in_either()
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-observe-").FullName;
        int main = CustomApp.FreePort(), metricsPort = CustomApp.FreePort(), deadRedis = CustomApp.FreePort();
        var url = $"http://127.0.0.1:{main}";
        var psi = new ProcessStartInfo("dotnet", [Dll, "--urls", url])
        {
            WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production"; // JSON logs by default outside Development
        psi.Environment["Whistle__PublicBaseUrl"] = "https://network.test";
        psi.Environment["Whistle__Observability__MetricsPort"] = metricsPort.ToString();
        psi.Environment["Whistle__Redis__ConnectionString"] = $"127.0.0.1:{deadRedis},connectTimeout=500";
        psi.Environment["Whistle__TrustedProxies"] = "127.0.0.1";
        psi.Environment["Whistle__Delivery__PollMilliseconds"] = "200";
        var stdout = new List<string>();
        var stderr = new StringBuilder();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        List<string> Lines() { lock (stdout) return stdout.ToList(); }
        string metricsText;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var scrape = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
            await WhistleApp.EventuallyAsync(async () =>
            {
                if (p.HasExited) return true;
                try { return (await http.GetAsync("/healthz/live")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
            }, ok => ok, "Whistle to answer /healthz/live", timeoutMs: 120_000);
            Assert.False(p.HasExited, "Whistle exited: " + string.Join("\n", Lines()) + stderr);

            // A reporter behind the network's proxy, with a call-back number and words of their own; two subscribers.
            using (var report = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reports")
            {
                Content = JsonContent.Create(new
                {
                    activity = "home_raid", lat = 44.9485, lon = -93.2555, placeText = "1234 Secret Street", text = "the-secret-report-words-4411",
                    contact = "(612) 555-0166",
                }),
            })
            {
                report.Headers.Add("X-Forwarded-For", "203.0.113.77");
                Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(report)).StatusCode);
            }
            foreach (var (channel, address) in new[] { ("sms", "+16125550177"), ("email", "hidden.person@example.org") })
            {
                using var sub = new HttpRequestMessage(HttpMethod.Post, "/api/v1/subscriptions")
                {
                    Content = JsonContent.Create(new { channel, address, language = "en", circle = new { lat = 44.95, lon = -93.26, radiusMeters = 500 } }),
                };
                sub.Headers.Add("X-Forwarded-For", "203.0.113.77");
                Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(sub)).StatusCode);
            }
            // Redis is down: the node is live, not ready, and says why in its log (inside the request: with a trace id).
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/healthz/ready")).StatusCode);

            // The metrics port: no login, only metrics and probes. The main port: no metrics at all.
            metricsText = await WhistleApp.EventuallyAsync(() => scrape.GetStringAsync("/metrics"),
                t => t.Contains("whistle_reports_received_total{", StringComparison.Ordinal), "the report on /metrics");
            Assert.Equal(HttpStatusCode.OK, (await scrape.GetAsync("/healthz/live")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await scrape.GetAsync("/")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await scrape.GetAsync("/api/v1/alerts/active")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/metrics")).StatusCode);
            Assert.True((await http.GetAsync("/api/v1/alerts/active")).IsSuccessStatusCode);

            await WhistleApp.EventuallyAsync(() => Task.FromResult(Lines()),
                lines => lines.Any(l => l.Contains("\"traceId\"", StringComparison.Ordinal) && l.Contains("redis", StringComparison.Ordinal)),
                "the failed readiness check in the log");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        var lines = Lines().Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            JsonElement json;
            try { json = JsonDocument.Parse(line).RootElement; }
            catch (JsonException) { Assert.Fail("Not one JSON object: " + line); throw; }
            Assert.Equal(JsonValueKind.Object, json.ValueKind);
            foreach (var field in new[] { "timestamp", "level", "category", "message" })
                Assert.True(json.TryGetProperty(field, out _), $"no {field} in {line}");
            Assert.True(DateTimeOffset.TryParse(json.GetProperty("timestamp").GetString(), out _), line);
            if (json.TryGetProperty("traceId", out var trace)) Assert.Matches("^[0-9a-f]{32}$", trace.GetString()!);
        }
        var all = string.Join("\n", lines) + stderr;
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, all);
            Assert.DoesNotContain(secret, metricsText);
        }
        // Metric labels name fixed things only: no label value anywhere is a caller's.
        foreach (Match m in Regex.Matches(metricsText, "^whistle_[a-z_]+\\{([^}]*)\\}", RegexOptions.Multiline))
            foreach (var label in m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
                Assert.Matches("^((channel|state|lane|kind|outcome|le)=\"[A-Za-z0-9_.+\\-]*\"|otel_scope_[a-z_]+=\".*\")$", label);
        try { Directory.Delete(cwd, recursive: true); } catch (IOException) { }
    }
}
