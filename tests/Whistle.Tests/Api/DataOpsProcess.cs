using System.Diagnostics;
using System.Text;
using Npgsql;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// The built Whistle.dll as a real process for the data operations tests (decision 0048): a command run to its exit,
/// or a server started on a free port and watched; settings given as environment variables, as an operator would.
/// </summary>
public static class DataOpsProcess
{
    private static readonly string Dll = WhistleBuild.Dll;

    public sealed record Run(int ExitCode, string Out, string Err)
    {
        public string All => Out + Err;
    }

    /// <summary>Settings for a process on this data dir and (when given) this PostgreSQL connection string.</summary>
    public static Dictionary<string, string> Env(string dataDir, string? postgres = null)
    {
        var env = new Dictionary<string, string>
        {
            ["Whistle__DataDir"] = dataDir,
            ["Whistle__PublicBaseUrl"] = "https://network.test",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        if (postgres is not null)
        {
            env["Whistle__Database__Provider"] = "postgres";
            env["Whistle__Database__ConnectionString"] = postgres;
        }
        return env;
    }

    /// <summary>The settings of a test app, as a process's environment (its data dir and database).</summary>
    public static Dictionary<string, string> Env(WhistleApp app) =>
        Env(app.DataDir, app.Settings.GetValueOrDefault("Whistle:Database:Provider") == "postgres" ? app.Settings["Whistle:Database:ConnectionString"] : null);

    private static ProcessStartInfo Start(Dictionary<string, string> env, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Dll, .. args])
        {
            WorkingDirectory = Directory.CreateTempSubdirectory("whistle-cwd-").FullName,
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    public static async Task<Run> RunAsync(Dictionary<string, string> env, params string[] args)
    {
        using var p = Process.Start(Start(env, args))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw new TimeoutException("Whistle " + string.Join(" ", args) + " did not exit."); }
        return new(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>A server on a free loopback port; disposing it kills it.</summary>
    public sealed class Server : IDisposable
    {
        private readonly Process _p;
        private readonly StringBuilder _log = new();
        public HttpClient Http { get; }

        public Server(Dictionary<string, string> env)
        {
            var url = $"http://127.0.0.1:{CustomApp.FreePort()}";
            _p = Process.Start(Start(env, ["--urls", url]))!;
            _p.StandardInput.Close();
            _p.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            _p.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
            _p.BeginOutputReadLine();
            _p.BeginErrorReadLine();
            Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        }

        public bool HasExited => _p.HasExited;
        public string Log { get { lock (_log) return _log.ToString(); } }

        /// <summary>True when /healthz answers at all (the server is up and serving).</summary>
        public async Task<bool> AnswersAsync()
        {
            try { return (await Http.GetAsync("/healthz")).IsSuccessStatusCode; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
        }

        public void Dispose()
        {
            if (!_p.HasExited) _p.Kill(entireProcessTree: true);
            _p.WaitForExit();
            _p.Dispose();
            Http.Dispose();
        }
    }

    public static long TableCount(string connectionString)
    {
        using var conn = new NpgsqlConnection(connectionString);
        conn.Open();
        using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')", conn);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }
}
