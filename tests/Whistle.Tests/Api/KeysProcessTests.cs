using System.Diagnostics;
using System.Text;
using Whistle.Privacy;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 13 §1 with the built Whistle.dll as a real process: the data dir and its files are made private, files others
/// can read refuse the start with the chmod that fixes them, a wrapped ring needs its passphrase, Shamir shares
/// round-trip through `keys backup` / `keys restore`, and `keys destroy` leaves a marker that no start ignores.
/// </summary>
public sealed class KeysProcessTests
{
    private static readonly string Dll = WhistleBuild.Dll;

    private sealed record Run(int ExitCode, string Out, string Err)
    {
        public string All => Out + Err;
    }

    private static async Task<Run> RunAsync(string cwd, Dictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Dll, .. args])
        {
            WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.Environment["Whistle__PublicBaseUrl"] = "https://network.test";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw new TimeoutException("Whistle " + string.Join(" ", args) + " did not exit."); }
        return new(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>A server on a free port until /healthz answers; then stopped. Returns what it logged.</summary>
    private static async Task<string> ServeOnceAsync(string cwd, Dictionary<string, string>? env = null, Func<HttpClient, Task>? probe = null)
    {
        var url = $"http://127.0.0.1:{CustomApp.FreePort()}";
        var psi = new ProcessStartInfo("dotnet", [Dll, "--urls", url])
        {
            WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.Environment["Whistle__PublicBaseUrl"] = "https://network.test";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        var log = new StringBuilder();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            await WhistleApp.EventuallyAsync(async () =>
            {
                if (p.HasExited) return true;
                try { return (await http.GetAsync("/healthz")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
            }, ok => ok, "Whistle to answer /healthz", timeoutMs: 120_000);
            Assert.False(p.HasExited, "Whistle exited: " + log);
            if (probe is not null) await probe(http);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        lock (log) return log.ToString();
    }

    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task A_fresh_data_dir_is_0700_and_its_database_wal_shm_and_key_file_are_0600()
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-perm-").FullName;
        await ServeOnceAsync(cwd);
        var data = Path.Combine(cwd, "data");
        Assert.Equal(OwnerDir, File.GetUnixFileMode(data));
        foreach (var name in new[] { "whistle.db", "keys.json", "whistle.db-wal", "whistle.db-shm" })
        {
            var file = Path.Combine(data, name);
            if (name.EndsWith("-wal") || name.EndsWith("-shm")) { if (!File.Exists(file)) continue; }
            Assert.True(File.Exists(file), name);
            Assert.Equal(Owner, File.GetUnixFileMode(file));
        }
    }

    [Theory]
    [InlineData("whistle.db")]
    [InlineData("keys.json")]
    public async Task A_database_or_key_file_others_can_read_refuses_the_start_with_the_chmod_that_fixes_it(string name)
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-open-").FullName;
        await ServeOnceAsync(cwd);
        var file = Path.Combine(cwd, "data", name);
        File.SetUnixFileMode(file, Owner | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // 0644, as before issue 13

        var run = await RunAsync(cwd, null, "--urls", $"http://127.0.0.1:{CustomApp.FreePort()}");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("Whistle will not start", run.Err);
        Assert.Contains($"{file} can be read by other users", run.Err);
        Assert.Contains("mode 0644", run.Err);
        Assert.Contains($"chmod 600 '{file}'", run.Err);

        File.SetUnixFileMode(file, Owner); // what the message says to do
        await ServeOnceAsync(cwd);
    }

    [Fact]
    public async Task An_open_data_dir_is_tightened_to_0700_and_the_log_says_so()
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-opendir-").FullName;
        Directory.CreateDirectory(Path.Combine(cwd, "data"));
        File.SetUnixFileMode(Path.Combine(cwd, "data"), OwnerDir | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var log = await ServeOnceAsync(cwd);
        Assert.Equal(OwnerDir, File.GetUnixFileMode(Path.Combine(cwd, "data")));
        Assert.Contains("it is now 0700", log);
    }

    [Fact]
    public async Task Keys_wrap_needs_the_passphrase_at_every_start_and_a_wrong_one_refuses()
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-wrap-").FullName;
        await ServeOnceAsync(cwd);
        var plain = Path.Combine(cwd, "data", "keys.json");
        var ring = KeyRing.FromJson(await File.ReadAllTextAsync(plain));
        var pass = new Dictionary<string, string> { ["Whistle__Encryption__Passphrase"] = "a long passphrase for the test" };

        var wrap = await RunAsync(cwd, pass, "keys", "wrap");
        Assert.True(wrap.ExitCode == 0, wrap.All);
        Assert.False(File.Exists(plain));
        var wrapped = Path.Combine(cwd, "data", "keys.wrapped.json");
        Assert.Equal(Owner, File.GetUnixFileMode(wrapped));
        Assert.Equal(ring.Hash("x"), KeyRing.FromJson(KeyWrap.Unwrap(await File.ReadAllTextAsync(wrapped), "a long passphrase for the test")).Hash("x"));

        var none = await RunAsync(cwd, null, "--urls", $"http://127.0.0.1:{CustomApp.FreePort()}");
        Assert.Equal(3, none.ExitCode);
        Assert.Contains("wrapped with a passphrase", none.Err);
        var wrong = await RunAsync(cwd, new() { ["Whistle__Encryption__Passphrase"] = "not it" }, "--urls", $"http://127.0.0.1:{CustomApp.FreePort()}");
        Assert.Equal(3, wrong.ExitCode);
        Assert.Contains("passphrase does not open the key ring", wrong.Err);
        Assert.False(File.Exists(plain)); // no silent new ring either

        var passFile = Path.Combine(cwd, "passphrase");
        await File.WriteAllTextAsync(passFile, "a long passphrase for the test\n");
        File.SetUnixFileMode(passFile, Owner);
        await ServeOnceAsync(cwd, new() { ["Whistle__Encryption__PassphraseFile"] = passFile });
    }

    [Fact]
    public async Task A_key_file_on_another_mount_is_used_and_its_absence_refuses_rather_than_making_a_new_ring()
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-keyfile-").FullName;
        var stick = Directory.CreateTempSubdirectory("whistle-stick-").FullName;
        var keyFile = Path.Combine(stick, "whistle-keys.json");
        var ring = KeyRing.CreateNew();
        ring.Save(keyFile);
        var env = new Dictionary<string, string> { ["Whistle__Encryption__KeyFile"] = keyFile };
        await ServeOnceAsync(cwd, env);
        Assert.False(File.Exists(Path.Combine(cwd, "data", "keys.json")));

        File.Move(keyFile, keyFile + ".away");
        var run = await RunAsync(cwd, env, "--urls", $"http://127.0.0.1:{CustomApp.FreePort()}");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("there is no file there", run.Err);
        Assert.False(File.Exists(keyFile));
    }

    [Fact]
    public async Task Keys_backup_writes_five_shares_and_any_three_restore_the_ring_through_the_cli()
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-shamir-").FullName;
        await ServeOnceAsync(cwd);
        var keyFile = Path.Combine(cwd, "data", "keys.json");
        var original = await File.ReadAllTextAsync(keyFile);
        var outDir = Path.Combine(cwd, "shares");

        var backup = await RunAsync(cwd, null, "keys", "backup", "--shares", "5", "--threshold", "3", "--out", outDir);
        Assert.True(backup.ExitCode == 0, backup.All);
        var shares = Directory.GetFiles(outDir).Order().ToArray();
        Assert.Equal(5, shares.Length);
        Assert.All(shares, s => Assert.Equal(Owner, File.GetUnixFileMode(s)));
        Assert.Contains("SHARE 4 OF 5", await File.ReadAllTextAsync(shares[3]));

        File.Move(keyFile, keyFile + ".lost"); // the disk died
        var two = await RunAsync(cwd, null, "keys", "restore", shares[0], shares[3]);
        Assert.Equal(1, two.ExitCode);
        Assert.Contains("needs 3", two.Err);
        Assert.False(File.Exists(keyFile));

        var three = await RunAsync(cwd, null, "keys", "restore", shares[4], shares[1], shares[3]);
        Assert.True(three.ExitCode == 0, three.All);
        Assert.Equal(KeyRing.FromJson(original).Hash("x"), KeyRing.FromJson(await File.ReadAllTextAsync(keyFile)).Hash("x"));
        Assert.Equal(Owner, File.GetUnixFileMode(keyFile));

        var again = await RunAsync(cwd, null, "keys", "restore", shares[0], shares[1], shares[2]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already at", again.Err);
    }

    [Fact]
    public async Task Keys_destroy_deletes_the_ring_leaves_a_dated_marker_and_a_restart_does_not_make_a_new_ring()
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-destroy-").FullName;
        await ServeOnceAsync(cwd);
        var data = Path.Combine(cwd, "data");
        var keyFile = Path.Combine(data, "keys.json");
        var run = await RunAsync(cwd, null, "keys", "destroy", "--yes");
        Assert.True(run.ExitCode == 0, run.All);
        Assert.False(File.Exists(keyFile));
        var marker = await File.ReadAllTextAsync(Path.Combine(data, "keys.destroyed"));
        Assert.Contains(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd"), marker);
        Assert.DoesNotMatch(@"\d\d:\d\d", marker); // the date only

        var log = await ServeOnceAsync(cwd, probe: async http =>
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
            var res = await http.PostAsync("/api/v1/reports", new StringContent(
                """{"activity":"arrest","lat":44.95,"lon":-93.26,"contact":"+16125550111"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, res.StatusCode);
            Assert.Contains("keys-destroyed", await res.Content.ReadAsStringAsync());
        });
        Assert.Contains("key ring was destroyed", log);
        Assert.False(File.Exists(keyFile));

        var fresh = await RunAsync(cwd, null, "keys", "new", "--after-destroy");
        Assert.True(fresh.ExitCode == 0, fresh.All);
        Assert.True(File.Exists(keyFile));
        Assert.False(File.Exists(Path.Combine(data, "keys.destroyed")));
    }
}
