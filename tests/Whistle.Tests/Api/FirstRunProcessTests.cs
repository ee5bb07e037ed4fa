using System.Diagnostics;
using System.Text;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 12 §7 with the built Whistle.dll as a real process in an empty working directory: --help prints and exits
/// without touching anything, a mistake exits 2, the data lands in ./data of the working directory, and a clean
/// start (new network or --demo, SQLite or PostgreSQL) logs no warning.
/// </summary>
public sealed class FirstRunProcessTests
{
    private static readonly string Dll = WhistleBuild.Dll;

    private sealed record Run(int ExitCode, string Out, string Err);

    private static async Task<Run> RunAsync(string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Dll, .. args])
        {
            WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["Whistle__PublicBaseUrl"] = "";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw new TimeoutException("Whistle " + string.Join(" ", args) + " did not exit: it started a server."); }
        return new(p.ExitCode, await stdout, await stderr);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("--demo", "--help")]
    public async Task Help_prints_the_commands_options_and_settings_and_exits_without_creating_anything(params string[] args)
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-help-").FullName;
        var run = await RunAsync(cwd, args);
        Assert.Equal(0, run.ExitCode);
        foreach (var word in new[] { "users add", "keys rotate", "custody verify", "--demo", "--urls", "Whistle__DataDir", "Whistle__PublicBaseUrl",
                     "Whistle__Bootstrap__AdminEmail", "dotnet run --project src/Whistle -- --demo" })
            Assert.Contains(word, run.Out);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd));
    }

    [Theory]
    [InlineData("--hepl")]
    [InlineData("-x")]
    [InlineData("serve")]
    public async Task An_unknown_option_or_command_says_so_and_exits_2_without_starting(string arg)
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-bad-").FullName;
        var run = await RunAsync(cwd, arg);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(arg, run.Err);
        Assert.Contains("--help", run.Err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd));
    }

    [Fact]
    public async Task Dotnet_run_keeps_the_working_directory_so_data_lands_where_the_readme_says()
    {
        // `dotnet run --project src/Whistle` runs the app in RunWorkingDirectory; it must be where the command was typed.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Whistle.slnx"))) root = Path.GetDirectoryName(root)!;
        var cwd = Directory.CreateTempSubdirectory("whistle-run-").FullName;
        var psi = new ProcessStartInfo("dotnet", ["msbuild", Path.Combine(root, "src", "Whistle", "Whistle.csproj"), "-getProperty:RunWorkingDirectory"])
        {
            WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var output = (await p.StandardOutput.ReadToEndAsync()).Trim();
        await p.WaitForExitAsync();
        Assert.Equal(Path.GetFullPath(cwd).TrimEnd('/'), output.TrimEnd('/'));
    }

    [Theory]
    [InlineData(Db.Sqlite, false)]
    [InlineData(Db.Sqlite, true)]
    [InlineData(Db.Postgres, false)]
    public async Task A_clean_start_keeps_its_data_in_the_working_directory_and_logs_no_warning(Db db, bool demo) =>
        await StartAsync(db, demo, fromIssue11: false);

    /// <summary>
    /// A data directory made by the Whistle of issue 11 (its ten SQLite migrations; the fixture is that database,
    /// empty but for its network's name) adopts the one Baseline migration that replaced them, takes this issue's
    /// migration, keeps its data and starts without a warning.
    /// </summary>
    [Fact]
    public async Task A_database_made_by_the_old_migrations_adopts_the_baseline_keeps_its_data_and_logs_no_warning() =>
        await StartAsync(Db.Sqlite, demo: false, fromIssue11: true);

    private static async Task StartAsync(Db db, bool demo, bool fromIssue11)
    {
        var cwd = Directory.CreateTempSubdirectory("whistle-start-").FullName;
        if (fromIssue11)
        {
            // An operator upgrading from issue 11 first follows the start-up refusal (issue 13): chmod 700 data, chmod 600 the database.
            Directory.CreateDirectory(Path.Combine(cwd, "data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await using var gz = new System.IO.Compression.GZipStream(
                File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", "issue11-sqlite.db.gz")), System.IO.Compression.CompressionMode.Decompress);
            await using var file = new FileStream(Path.Combine(cwd, "data", "whistle.db"), new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            await gz.CopyToAsync(file);
        }
        var url = $"http://127.0.0.1:{CustomApp.FreePort()}";
        var psi = new ProcessStartInfo("dotnet", demo ? [Dll, "--demo", "--urls", url] : [Dll, "--urls", url])
        {
            WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (!demo) psi.Environment["Whistle__PublicBaseUrl"] = "https://network.test";
        psi.Environment["Whistle__DemoSubscribers"] = "50";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        if (db == Db.Postgres)
        {
            var admin = Environment.GetEnvironmentVariable(WhistleApp.PgEnv) ?? throw new InvalidOperationException($"{WhistleApp.PgEnv} is not set.");
            var name = "whistle_start_" + Guid.NewGuid().ToString("N")[..8];
            await using (var conn = new Npgsql.NpgsqlConnection(admin))
            {
                await conn.OpenAsync();
                await new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", conn).ExecuteNonQueryAsync();
            }
            psi.Environment["Whistle__Database__Provider"] = "postgres";
            psi.Environment["Whistle__Database__ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
        }
        var log = new StringBuilder();
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            await WhistleApp.EventuallyAsync(async () =>
            {
                try { return (await http.GetAsync("/healthz")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
            }, ok => ok, "Whistle to answer /healthz", timeoutMs: 120_000);
            // A first request to the pages and the API, as a person's first look would make.
            Assert.True((await http.GetAsync("/")).IsSuccessStatusCode);
            Assert.True((await http.GetAsync("/api/v1/zones")).IsSuccessStatusCode);
            if (fromIssue11) Assert.Contains("Phillips West rapid response", await http.GetStringAsync("/"));
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        var dataDir = Path.Combine(cwd, demo ? "data-demo" : "data");
        Assert.True(File.Exists(Path.Combine(dataDir, "keys.json")), $"keys.json in {dataDir}");
        if (db == Db.Sqlite) Assert.True(File.Exists(Path.Combine(dataDir, "whistle.db")), $"whistle.db in {dataDir}");
        if (db == Db.Sqlite)
        {
            await using var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "whistle.db")};Pooling=false");
            await conn.OpenAsync();
            var applied = new List<string>();
            await using (var cmd = new Microsoft.Data.Sqlite.SqliteCommand("SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\"", conn))
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) applied.Add(r.GetString(0));
            Assert.Contains(Whistle.Data.SqliteBaseline.Id, applied);
            Assert.Contains(applied, m => m.EndsWith("_NoWrongAlert", StringComparison.Ordinal));
            Assert.Equal(fromIssue11, applied.Contains(Whistle.Data.SqliteBaseline.LastOld));
        }
        // Token-signing keys are written encrypted with the key ring, not in the clear.
        var tokenKey = Directory.EnumerateFiles(Path.Combine(dataDir, "token-keys"), "*.xml").Single();
        Assert.Contains("keyRingEncrypted", File.ReadAllText(tokenKey));
        Assert.DoesNotContain("<masterKey", File.ReadAllText(tokenKey));

        string text;
        lock (log) text = log.ToString();
        var warnings = text.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.Contains("Warning", StringComparison.Ordinal))
            .ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings) + "\n---\n" + text);
    }
}
