using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Whistle.Fakes;
using Whistle.Privacy;
using Whistle.Tests.Api;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Topology;

/// <summary>
/// The production topology on loopback, from Debian's packages: the <b>published</b> Whistle (what a server runs) as two
/// real processes on free ports — each with its own data directory but one PostgreSQL database, one Redis prefix and one
/// key ring — the Twilio fake (real HTTP) paced at <see cref="PerSecond"/> messages a second per sending number, and
/// Caddy in front, run from deploy/Caddyfile itself (its placeholders filled for loopback, HTTP only, admin API off).
/// Decision 0049.
/// </summary>
public sealed class TopologyCluster : IAsyncLifetime
{
    /// <summary>The pace each sending number may be used at (Whistle:Sms:Twilio:MessagesPerSecond).</summary>
    public const int PerSecond = 8;
    public const string Senders = "+16125550100, +16125550101";
    /// <summary>Demo subscribers: a third by SMS (100 numbers, ~175 segments: ~12 s at the pace above on two numbers), the rest by e-mail.</summary>
    public const int Subscribers = 300;
    public const int BatchSize = 10;
    public const string AdminEmail = "topology-admin@staff.test", AdminPassword = "Topology-test-passphrase-1";
    public const string PublishedEnv = WhistleBuild.PublishedEnv;

    private readonly string _root = Directory.CreateTempSubdirectory("whistle-topology-").FullName;
    private readonly string _keys = KeyRing.CreateNew().ToJson();
    private readonly string _redisPrefix = TestRedis.NewPrefix();
    private string? _connectionString;
    private Process? _caddy;
    private readonly ConcurrentQueue<string> _caddyLog = new();

    public FakeTwilio Twilio { get; private set; } = null!;
    public Node[] Nodes { get; } = [new("a"), new("b")];
    public Node A => Nodes[0];
    public Node B => Nodes[1];
    /// <summary>The proxy's address (http://127.0.0.1:port).</summary>
    public string ProxyUrl { get; private set; } = "";
    /// <summary>The health path Caddy checks: /healthz/ready, or /healthz on a build that has no readiness endpoint yet.</summary>
    public string HealthPath { get; private set; } = "/healthz/ready";
    public string Published { get; private set; } = "";

    public sealed class Node(string name)
    {
        public string Name { get; } = name;
        public string Url { get; set; } = "";
        public string DataDir { get; set; } = "";
        public string Outbox => Path.Combine(DataDir, "..", $"outbox-{Name}.jsonl");
        public Process? Process { get; set; }
        public ConcurrentQueue<string> Log { get; } = new();
        public string Tail => string.Join("\n", Log.TakeLast(40));
    }

    public async Task InitializeAsync()
    {
        Published = await PublishedAsync();
        _connectionString = TestPostgres.NewDatabase();
        Twilio = await FakeTwilio.StartAsync();
        // The proxy's address is the network's public one (status callbacks, links): chosen before the nodes start.
        ProxyUrl = $"http://127.0.0.1:{CustomApp.FreePort()}";
        foreach (var node in Nodes)
        {
            node.Url = $"http://127.0.0.1:{CustomApp.FreePort()}";
            node.DataDir = Path.Combine(_root, node.Name);
        }
        // The first node migrates and seeds the demo network; the second starts on the database it made, sharing the
        // token-signing keys (a token issued by one node is honoured by the other; compose.yaml shares the data volume).
        await StartAsync(A);
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(Path.Combine(A.DataDir, "token-keys"), Private);
        Directory.CreateDirectory(B.DataDir, Private);
        Directory.CreateSymbolicLink(Path.Combine(B.DataDir, "token-keys"), Path.Combine(A.DataDir, "token-keys"));
        await StartAsync(B);
        using (var probe = new HttpClient { BaseAddress = new Uri(A.Url) })
            HealthPath = (await probe.GetAsync("/healthz/ready")).IsSuccessStatusCode ? "/healthz/ready" : "/healthz";
        await StartCaddyAsync();
    }

    /// <summary>The published build: ./test.sh's (WHISTLE_TEST_PUBLISHED), else published once here from the build the tests run from.</summary>
    private static async Task<string> PublishedAsync()
    {
        if (WhistleBuild.Published is { } dir) return dir;
        await PublishGate.WaitAsync();
        try
        {
            if (_published is not null) return _published;
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "Whistle.slnx"))) root = Path.GetDirectoryName(root)!;
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
            var output = Directory.CreateTempSubdirectory("whistle-published-").FullName;
            var psi = new ProcessStartInfo("dotnet", ["publish", Path.Combine(root, "src", "Whistle"), "-c", configuration, "--no-build", "-nologo", "-o", output])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, "dotnet publish failed:\n" + await stdout + await stderr);
            return _published = output;
        }
        finally { PublishGate.Release(); }
    }

    private static readonly SemaphoreSlim PublishGate = new(1, 1);
    private static string? _published;

    /// <summary>Starts (or starts again) a node's process on its data directory and waits until it answers.</summary>
    public async Task StartAsync(Node node)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(Published, "Whistle.dll"), "--urls", node.Url])
        {
            WorkingDirectory = _root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var env = psi.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Whistle__DataDir"] = node.DataDir;
        env["Whistle__Demo"] = "true";
        env["Whistle__DemoSubscribers"] = Subscribers.ToString();
        env["Whistle__Bootstrap__AdminEmail"] = AdminEmail;
        env["Whistle__Bootstrap__AdminPassword"] = AdminPassword;
        env["Whistle__Database__Provider"] = "postgres";
        env["Whistle__Database__ConnectionString"] = _connectionString;
        env["Whistle__Redis__ConnectionString"] = TestRedis.ConnectionString;
        env["Whistle__Redis__Prefix"] = _redisPrefix;
        env["Whistle__Encryption__Keys"] = _keys;
        env["Whistle__TrustedProxies"] = "127.0.0.1";
        // Twilio's status callbacks name the network's public address: the proxy (without it no SMS can be sent).
        env["Whistle__PublicBaseUrl"] = ProxyUrl;
        // A dead node's claimed batches come back to the other within seconds.
        env["Whistle__Delivery__LeaseSeconds"] = "3";
        env["Whistle__Delivery__PollMilliseconds"] = "100";
        env["Whistle__Delivery__BatchSize"] = BatchSize.ToString();
        env["Whistle__Delivery__DevOutboxPath"] = node.Outbox;
        // The Twilio fake listens on 127.0.0.1, which the outbound guard refuses unless told (as WhistleApp does).
        env["Whistle__Delivery__AllowPrivateNetworks"] = "true";
        env["Whistle__RateLimits__ReportsPerMinute"] = "1000";
        env["Whistle__RateLimits__LoginPerMinute"] = "1000";
        env["Whistle__Intake__NetworkPerMinute"] = "100000";
        env["Whistle__Intake__AreaPerMinute"] = "100000";
        foreach (var (k, v) in Twilio.Settings(Senders, PerSecond)) env[k.Replace(":", "__")] = v;
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is { } l) node.Log.Enqueue(l); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is { } l) node.Log.Enqueue(l); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        node.Process = p;
        // Liveness (/healthz/live; /healthz on a build without it). Generous: on a loaded 2-core machine a start with
        // migrations and the demo seed has taken over a minute.
        using var http = new HttpClient { BaseAddress = new Uri(node.Url), Timeout = TimeSpan.FromSeconds(15) };
        var deadline = DateTime.UtcNow.AddMinutes(4);
        string last = "not listening";
        while (true)
        {
            Assert.False(p.HasExited, $"node {node.Name} exited with {(p.HasExited ? p.ExitCode : 0)}:\n{node.Tail}");
            try
            {
                var live = await http.GetAsync("/healthz/live");
                if (live.StatusCode == System.Net.HttpStatusCode.NotFound) live = await http.GetAsync("/healthz");
                if (live.IsSuccessStatusCode) return;
                last = $"{(int)live.StatusCode} {await live.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e.GetType().Name; }
            Assert.True(DateTime.UtcNow < deadline, $"node {node.Name} did not answer ({last}):\n{node.Tail}");
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL, as a power cut or the OOM killer would: no shutdown, no lease handed back.</summary>
    public async Task KillAsync(Node node)
    {
        node.Process!.Kill();
        await node.Process.WaitForExitAsync();
        node.Process.Dispose();
        node.Process = null;
    }

    private async Task StartCaddyAsync()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Whistle.slnx"))) root = Path.GetDirectoryName(root)!;
        var dir = Path.Combine(_root, "caddy");
        Directory.CreateDirectory(dir);
        var caddyfile = Path.Combine(dir, "Caddyfile");
        File.Copy(Path.Combine(root, "deploy", "Caddyfile"), caddyfile);
        var psi = new ProcessStartInfo("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // deploy/Caddyfile's placeholders: an http:// site address on loopback (no certificate), the two nodes.
        psi.Environment["WHISTLE_DOMAIN"] = ProxyUrl;
        psi.Environment["WHISTLE_ACME_EMAIL"] = "ops@network.test";
        psi.Environment["WHISTLE_UPSTREAMS"] = string.Join(" ", Nodes.Select(n => new Uri(n.Url).Authority));
        psi.Environment["WHISTLE_HEALTH_URI"] = HealthPath;
        psi.Environment["HOME"] = dir;
        psi.Environment["XDG_DATA_HOME"] = Path.Combine(dir, "data");
        psi.Environment["XDG_CONFIG_HOME"] = Path.Combine(dir, "config");
        _caddy = Process.Start(psi)!;
        _caddy.OutputDataReceived += (_, e) => { if (e.Data is { } l) _caddyLog.Enqueue(l); };
        _caddy.ErrorDataReceived += (_, e) => { if (e.Data is { } l) _caddyLog.Enqueue(l); };
        _caddy.BeginOutputReadLine();
        _caddy.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri(ProxyUrl) };
        var state = await WhistleApp.EventuallyAsync(async () =>
        {
            if (_caddy.HasExited) return "exited:\n" + string.Join("\n", _caddyLog.TakeLast(20));
            try { return (await http.GetAsync("/healthz")).IsSuccessStatusCode ? "up" : "down"; }
            catch (HttpRequestException) { return "down"; }
        }, s => s != "down", "Caddy to answer", 30_000);
        Assert.True(state == "up", "Caddy " + state);
    }

    /// <summary>A client of the proxy, logged in as the bootstrap admin (the token works on either node).</summary>
    public async Task<HttpClient> AdminAsync(string? baseUrl = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl ?? ProxyUrl) };
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = AdminEmail, password = AdminPassword });
        Assert.True(login.IsSuccessStatusCode, $"login: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    /// <summary>The recipients of the alert in the nodes' development sinks (e-mail here: SMS goes to the Twilio fake).</summary>
    public List<string> SinkRecipients(string alertId) => Nodes.SelectMany(n => Read(n.Outbox, alertId)).ToList();

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

    public async Task DisposeAsync()
    {
        foreach (var p in Nodes.Select(n => n.Process).Append(_caddy))
        {
            if (p is null) continue;
            try { if (!p.HasExited) p.Kill(); await p.WaitForExitAsync(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        if (Twilio is not null) await Twilio.DisposeAsync();
        if (_connectionString is not null) TestPostgres.DropDatabase(_connectionString);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
