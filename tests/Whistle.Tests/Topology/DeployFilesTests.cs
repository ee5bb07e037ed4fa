using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Whistle.Tests.Topology;

/// <summary>
/// deploy/ cannot be run here (no container image can be pulled), so each file is checked by the tool that will read it:
/// the compose file parsed as YAML, the Dockerfile's instructions, Debian's caddy (`caddy adapt`, `caddy validate`),
/// haproxy -c, and systemd-analyze verify. Decision 0049.
/// </summary>
public sealed class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(Root(), "deploy");

    private static string Root()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Whistle.slnx"))) root = Path.GetDirectoryName(root)!;
        return root;
    }

    private sealed record Run(int ExitCode, string Out, string Err);

    private static async Task<Run> RunAsync(string file, string[] args, Dictionary<string, string>? env = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) { await p.StandardInput.WriteAsync(stdin); p.StandardInput.Close(); }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not exit"); }
        return new(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Caddy's environment for the production Caddyfiles: a host name, an ACME e-mail, storage in a temp dir.</summary>
    private static Dictionary<string, string> CaddyEnv()
    {
        var home = Directory.CreateTempSubdirectory("whistle-caddy-").FullName;
        return new()
        {
            ["WHISTLE_DOMAIN"] = "alerts.network.test", ["WHISTLE_ACME_EMAIL"] = "ops@network.test",
            ["HOME"] = home, ["XDG_DATA_HOME"] = Path.Combine(home, "data"), ["XDG_CONFIG_HOME"] = Path.Combine(home, "config"),
        };
    }

    [Fact]
    public async Task The_compose_file_runs_two_hardened_nodes_behind_caddy_with_postgres_and_redis_never_public()
    {
        // python3-yaml (./test.sh installs it) reads the file as compose does, anchors and merge keys included.
        var run = await RunAsync("python3", ["-c", "import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin)))"],
            stdin: await File.ReadAllTextAsync(Path.Combine(Deploy, "compose.yaml")));
        Assert.True(run.ExitCode == 0, run.Err);
        var compose = JsonNode.Parse(run.Out)!.AsObject();
        var services = compose["services"]!.AsObject();
        foreach (var name in new[] { "whistle-a", "whistle-b", "caddy", "postgres", "redis" }) Assert.True(services.ContainsKey(name), name);

        foreach (var name in new[] { "whistle-a", "whistle-b" })
        {
            var node = services[name]!.AsObject();
            Assert.Equal("deploy/Dockerfile", node["build"]!["dockerfile"]!.GetValue<string>());
            Assert.True(node["read_only"]!.GetValue<bool>(), $"{name}: read-only root filesystem");
            Assert.Null(node["ports"]); // only the proxy is public
            var volumes = node["volumes"]!.AsArray().Select(v => v!.GetValue<string>()).ToList();
            Assert.Contains("data:/var/lib/whistle", volumes);
            Assert.Contains("evidence:/var/lib/whistle/evidence", volumes);
            var env = node["environment"]!.AsObject();
            Assert.Equal("postgres", env["Whistle__Database__Provider"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(env["Whistle__Redis__ConnectionString"]?.GetValue<string>()));
            Assert.False(string.IsNullOrEmpty(env["Whistle__TrustedProxies"]?.GetValue<string>()));
            Assert.Equal("/run/secrets/keys", env["Whistle__Encryption__KeyFile"]!.GetValue<string>());
            // No secret in the environment: the database password is read from a secret file.
            Assert.Contains("Passfile=/run/secrets/pgpass", env["Whistle__Database__ConnectionString"]!.GetValue<string>());
            Assert.DoesNotContain(env, kv => kv.Key.Contains("Password", StringComparison.OrdinalIgnoreCase) || kv.Key.EndsWith("__Keys", StringComparison.Ordinal));
            Assert.Contains("/healthz/live", node["healthcheck"]!["test"]!.ToJsonString());
            Assert.Equal(["keys", "pgpass"], node["secrets"]!.AsArray().Select(s => s!.GetValue<string>()).Order());
        }
        // The key ring comes from the host's tmpfs, not from a file beside the compose file.
        Assert.StartsWith("/run/", compose["secrets"]!["keys"]!["file"]!.GetValue<string>());

        var caddy = services["caddy"]!.AsObject();
        Assert.Equal(["443:443", "443:443/udp", "80:80"], caddy["ports"]!.AsArray().Select(p => p!.GetValue<string>()).Order());
        foreach (var name in new[] { "postgres", "redis" })
        {
            Assert.Null(services[name]!["ports"]);
            Assert.Equal(["back"], services[name]!["networks"]!.AsArray().Select(n => n!.GetValue<string>()));
        }
        Assert.True(compose["networks"]!["back"]!["internal"]!.GetValue<bool>(), "the back network has no route out");
        // The trusted proxy is Caddy's fixed address on the web network.
        Assert.Equal(caddy["networks"]!["web"]!["ipv4_address"]!.GetValue<string>(),
            services["whistle-a"]!["environment"]!["Whistle__TrustedProxies"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_dockerfile_builds_in_the_sdk_with_npm_and_runs_non_root_with_volumes_and_a_liveness_check()
    {
        var lines = (await File.ReadAllLinesAsync(Path.Combine(Deploy, "Dockerfile")))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.Contains("dotnet/sdk:", froms[0]);
        Assert.Contains("dotnet/aspnet:", froms[1]);
        int runStage = lines.IndexOf(froms[1]);
        Assert.Contains(lines.Take(runStage), l => l.Contains("npm", StringComparison.Ordinal) && l.Contains("nodejs", StringComparison.Ordinal));
        Assert.Contains(lines.Take(runStage), l => l.Contains("dotnet publish", StringComparison.Ordinal));
        var run = lines.Skip(runStage).ToList();
        var user = run.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
        Assert.DoesNotContain(user.Split(':')[0], new[] { "root", "0" });
        Assert.Contains(run, l => l.StartsWith("VOLUME", StringComparison.Ordinal) && l.Contains("/var/lib/whistle\"") && l.Contains("/var/lib/whistle/evidence"));
        Assert.Contains(run, l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal));
        Assert.Contains("/healthz/live", string.Join("\n", run.SkipWhile(l => !l.StartsWith("HEALTHCHECK", StringComparison.Ordinal)).Take(2)));
        Assert.Contains(run, l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal) && l.Contains("Whistle.dll"));
        // The user is made before it is used, and the last USER comes after every RUN (nothing later runs as root).
        Assert.True(run.FindLastIndex(l => l.StartsWith("RUN ", StringComparison.Ordinal)) < run.FindLastIndex(l => l.StartsWith("USER ", StringComparison.Ordinal)));
        Assert.Contains(run, l => l.Contains("useradd", StringComparison.Ordinal) && l.Contains(user.Split(':')[0]));
    }

    [Theory]
    [InlineData("Caddyfile")]
    [InlineData("Caddyfile.single")]
    public async Task The_caddyfiles_are_valid_to_caddy_and_keep_streams_unbuffered(string file)
    {
        var path = Path.Combine(Deploy, file);
        var env = CaddyEnv();
        var validate = await RunAsync("caddy", ["validate", "--config", path, "--adapter", "caddyfile"], env);
        Assert.True(validate.ExitCode == 0, validate.Out + validate.Err);
        var adapt = await RunAsync("caddy", ["adapt", "--config", path, "--adapter", "caddyfile"], env);
        Assert.True(adapt.ExitCode == 0, adapt.Err);
        var json = JsonNode.Parse(adapt.Out)!;
        Assert.True(json["admin"]!["disabled"]!.GetValue<bool>(), "the admin API is off");
        var proxies = Handlers(json).Where(h => h["handler"]?.GetValue<string>() == "reverse_proxy").ToList();
        Assert.NotEmpty(proxies);
        Assert.All(proxies, p => Assert.Equal(-1, p["flush_interval"]!.GetValue<long>()));
        Assert.Contains("alerts.network.test", adapt.Out);
        if (file == "Caddyfile")
        {
            // Two nodes, health-checked on readiness; /hubs/* pinned by a cookie, the rest round-robin.
            Assert.All(proxies, p =>
            {
                Assert.Equal(2, p["upstreams"]!.AsArray().Count);
                Assert.Equal("/healthz/ready", p["health_checks"]!["active"]!["uri"]!.GetValue<string>());
            });
            var policies = proxies.Select(p => p["load_balancing"]!["selection_policy"]!["policy"]!.GetValue<string>()).Order().ToList();
            Assert.Equal(["cookie", "round_robin"], policies);
            Assert.Contains("/hubs/*", adapt.Out);
        }
    }

    private static IEnumerable<JsonObject> Handlers(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o.ContainsKey("handler")) yield return o;
                foreach (var (_, v) in o) foreach (var h in Handlers(v)) yield return h;
                break;
            case JsonArray a:
                foreach (var v in a) foreach (var h in Handlers(v)) yield return h;
                break;
        }
    }

    [Fact]
    public async Task The_haproxy_sample_is_valid_to_haproxy()
    {
        // haproxy -c opens the certificate: a throw-away self-signed one stands in for the network's.
        var dir = Directory.CreateTempSubdirectory("whistle-haproxy-").FullName;
        using var key = RSA.Create(2048);
        var cert = new CertificateRequest("CN=alerts.network.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var pem = Path.Combine(dir, "whistle.pem");
        await File.WriteAllTextAsync(pem, cert.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        var config = Path.Combine(dir, "haproxy.cfg");
        var text = await File.ReadAllTextAsync(Path.Combine(Deploy, "haproxy.cfg"));
        Assert.Contains("/etc/haproxy/certs/whistle.pem", text);
        await File.WriteAllTextAsync(config, text.Replace("/etc/haproxy/certs/whistle.pem", pem));
        var run = await RunAsync("haproxy", ["-c", "-f", config]);
        Assert.True(run.ExitCode == 0, run.Out + run.Err);
        Assert.Contains("option httpchk GET /healthz/ready", text);
        Assert.Contains("cookie whistle_hub insert", text);
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("whistle.service")]
    [InlineData("whistle-backup.service")]
    [InlineData("whistle-backup.timer")]
    public async Task The_systemd_units_verify_and_the_service_is_hardened(string unit)
    {
        var path = Path.Combine(Deploy, unit);
        var text = await File.ReadAllTextAsync(path);
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            // systemd-analyze verify exits 0 on unknown keys and bad values but names them, with the file, on stderr.
            var dir = Directory.CreateTempSubdirectory("whistle-units-").FullName;
            foreach (var f in Directory.EnumerateFiles(Deploy, "whistle*")) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var run = await RunAsync("systemd-analyze", ["verify", Path.Combine(dir, unit)]);
            var complaints = (run.Out + run.Err).Split('\n').Where(l => l.Contains(unit, StringComparison.Ordinal)).ToList();
            Assert.True(run.ExitCode == 0 && complaints.Count == 0, run.Out + run.Err);
            Directory.Delete(dir, true);
        }
        if (unit == "whistle-backup.timer")
        {
            Assert.Contains("OnCalendar=", text);
            return;
        }
        var keys = text.Split('\n').Select(l => l.Trim()).Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => (Key: l[..l.IndexOf('=')], Value: l[(l.IndexOf('=') + 1)..])).ToList();
        string Value(string key) => keys.Last(k => k.Key == key).Value;
        Assert.Equal("strict", Value("ProtectSystem"));
        Assert.Equal("yes", Value("NoNewPrivileges"));
        Assert.Contains("/var/lib/whistle", Value("ReadWritePaths"));
        Assert.NotEqual("root", Value("User"));
        Assert.StartsWith("passphrase:", Value("LoadCredential"));
        Assert.Contains(keys, k => k.Key == "Environment" && k.Value == "Whistle__Encryption__PassphraseFile=%d/passphrase");
        // The passphrase is never written into the unit or its environment.
        Assert.DoesNotContain(keys, k => k.Value.StartsWith("Whistle__Encryption__Passphrase=", StringComparison.Ordinal));
        if (unit == "whistle.service") Assert.Contains("Whistle__TrustedProxies=127.0.0.1", text);
        else Assert.Contains("Whistle.dll backup", text);
    }
}
