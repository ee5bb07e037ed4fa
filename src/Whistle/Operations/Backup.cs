using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Operations;

/// <summary>
/// `backup DIR [--keys PATH]`: a self-describing directory — the database (SQLite's online backup, consistent while
/// the node runs; or `pg_dump -Fc` in one snapshot), the data dir's files as they are on disk (evidence already
/// encrypted at rest, the token-signing keys encrypted under the ring), and manifest.json (version, schema migration,
/// row counts from the same snapshot, the SHA-256 of every file). The key ring is never written into it: with
/// --keys it goes to a path outside the backup, wrapped when the ring is wrapped. Decision 0048.
/// </summary>
public static class Backup
{
    public const string Format = "whistle-backup/1";
    public const string ManifestName = "manifest.json";
    public const string SqliteName = "database.sqlite", PostgresName = "database.pgdump";
    /// <summary>What of the data dir goes into a backup (besides the database): files or directories, by name.</summary>
    public static readonly string[] DataDirEntries = ["evidence", "token-keys", Delivery.Push.VapidKeys.FileName];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(IServiceProvider services, string target, string? keysPath, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var options = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<WhistleOptions>>().Value;
        var store = scope.ServiceProvider.GetRequiredService<KeyStore>();
        var configuration = scope.ServiceProvider.GetRequiredService<IConfiguration>();

        var dir = Path.GetFullPath(target);
        var keys = keysPath is null ? null : Path.GetFullPath(keysPath);
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new StartupRefusal($"{dir} is not empty; a backup goes into a new or empty directory.");
        if (File.Exists(dir)) throw new StartupRefusal($"{dir} is a file; a backup goes into a new or empty directory.");
        if (IsInside(dir, options.DataPath))
            throw new StartupRefusal($"{dir} is inside the data dir {options.DataPath}; a backup kept beside what it protects is lost with it.");
        if (keys is not null)
        {
            if (IsInside(keys, dir))
                throw new StartupRefusal($"--keys {keys} is inside the backup {dir}. The key ring is kept apart from the backup: a stolen backup without its keys reads nothing.");
            if (File.Exists(keys) || Directory.Exists(keys)) throw new StartupRefusal($"{keys} exists already; choose another --keys path.");
            if (store.FromSetting)
                throw new StartupRefusal("The key ring comes from Whistle:Encryption:Keys; keep a copy of that setting apart yourself (or run without --keys).");
            if (!File.Exists(store.CurrentFile)) throw new StartupRefusal($"There is no key ring at {store.CurrentFile} to copy.");
        }

        CreatePrivateDir(dir);
        var manifest = new BackupManifest
        {
            Format = Format,
            CreatedAt = DateTimeOffset.UtcNow,
            WhistleVersion = Version,
            Provider = db.IsPostgres ? "postgres" : "sqlite",
        };
        // The database first, then the files: every evidence file the snapshot names is on disk by then (they are only added).
        if (db.IsPostgres)
            await DumpPostgresAsync(db, configuration, Path.Combine(dir, PostgresName), manifest, ct);
        else
            await CopySqliteAsync(db, Path.Combine(dir, SqliteName), manifest, ct);

        foreach (var entry in DataDirEntries)
        {
            var from = Path.Combine(options.DataPath, entry);
            if (Directory.Exists(from)) CopyTree(from, Path.Combine(dir, "files", entry));
            else if (File.Exists(from)) CopyPrivate(from, Path.Combine(dir, "files", entry));
        }
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            manifest.Files.Add(new BackupFile(Relative(dir, file), new FileInfo(file).Length, await Sha256Async(file, ct)));
        KeyStore.WritePrivate(Path.Combine(dir, ManifestName), JsonSerializer.Serialize(manifest, Json));

        Console.WriteLine($"Backup written to {dir} ({manifest.Provider}, schema {manifest.SchemaMigration}, {manifest.Files.Count} files):");
        foreach (var (name, count) in manifest.Counts) Console.WriteLine($"  {name,-16} {count}");
        if (keys is not null)
        {
            var keyDir = Path.GetDirectoryName(keys);
            if (keyDir is not null) Directory.CreateDirectory(keyDir);
            CopyPrivate(store.CurrentFile, keys);
            Console.WriteLine($"The key ring was copied to {keys}{(KeyWrap.IsWrapped(File.ReadAllText(keys)) ? " (wrapped: the passphrase opens it)" : "")}.");
            Console.WriteLine("Keep it apart from the backup (another medium, another person): the backup without it reads nothing.");
        }
        else
        {
            Console.WriteLine($"The key ring was NOT written. Without it this backup's personal data cannot be read: keep a copy of {(store.FromSetting ? "the Whistle:Encryption:Keys setting" : store.CurrentFile)}");
            Console.WriteLine("apart from the backup (`backup DIR --keys PATH`, or `keys backup` for shares held by several organisers).");
        }
        return 0;
    }

    public static string Version =>
        typeof(Backup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static async Task CopySqliteAsync(WhistleDb db, string file, BackupManifest manifest, CancellationToken ct)
    {
        var source = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false };
        if (!File.Exists(source.DataSource) || new FileInfo(source.DataSource).Length == 0)
            throw new StartupRefusal($"There is no database at {source.DataSource} to back up.");
        KeyStore.CreatePrivate(Path.GetDirectoryName(file)!, file);
        await using (var from = new SqliteConnection(source.ToString()))
        await using (var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString()))
        {
            await from.OpenAsync(ct);
            await to.OpenAsync(ct);
            // SQLite's online backup: a consistent copy while the running node goes on writing (it restarts on a change).
            from.BackupDatabase(to);
        }
        await using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await copy.OpenAsync(ct);
        await DescribeAsync(db, copy, manifest, ct);
    }

    private static async Task DumpPostgresAsync(WhistleDb db, IConfiguration configuration, string file, BackupManifest manifest, CancellationToken ct)
    {
        var pgDump = PgTools.Find("pg_dump", configuration);
        var cs = db.Database.GetConnectionString()!;
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        // One snapshot for the counts and the dump: the manifest counts exactly what the dump holds.
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", conn, tx))
            snapshot = (string)(await export.ExecuteScalarAsync(ct))!;
        await DescribeAsync(db, conn, manifest, ct, tx);
        using (new FileStream(file, PrivateNew())) { }
        await PgTools.RunAsync(pgDump, cs, ["--format=custom", "--snapshot=" + snapshot, "--file=" + file], ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The newest migration and the row counts that matter, read from the copy (or the dump's snapshot).</summary>
    private static async Task DescribeAsync(WhistleDb db, System.Data.Common.DbConnection conn, BackupManifest manifest, CancellationToken ct,
        System.Data.Common.DbTransaction? tx = null)
    {
        manifest.SchemaMigration = await ScalarAsync(conn, tx, "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\" DESC LIMIT 1", ct) as string;
        foreach (var (name, table) in CountedTables(db))
            manifest.Counts[name] = Convert.ToInt64(await ScalarAsync(conn, tx, $"SELECT COUNT(*) FROM \"{table}\"", ct));
    }

    /// <summary>The tables a restore is checked against, by the names the manifest and the output use.</summary>
    public static IEnumerable<(string Name, string Table)> CountedTables(WhistleDb db)
    {
        (string, Type)[] counted =
        [
            ("staff", typeof(Identity.StaffUser)), ("zones", typeof(Network.Zone)), ("templates", typeof(Alerts.Template)),
            ("subscribers", typeof(Subscriptions.Subscriber)), ("reports", typeof(Reports.Report)), ("sightings", typeof(Verification.Sighting)),
            ("alerts", typeof(Alerts.Alert)), ("deliveries", typeof(Delivery.Delivery)), ("incidents", typeof(Incidents.Incident)),
            ("evidence", typeof(Incidents.EvidenceItem)), ("custodyEntries", typeof(Incidents.CustodyEntry)),
            ("submissions", typeof(Submissions.Submission)),
        ];
        foreach (var (name, type) in counted)
            yield return (name, db.Model.FindEntityType(type)?.GetTableName() ?? throw new InvalidOperationException($"No table for {type.Name}"));
    }

    public static async Task<object?> ScalarAsync(System.Data.Common.DbConnection conn, System.Data.Common.DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(ct);
    }

    public static bool IsInside(string path, string dir)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(dir), Path.GetFullPath(path));
        return relative == "." || (!Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar));
    }

    public static string Relative(string dir, string file) => Path.GetRelativePath(dir, file).Replace(Path.DirectorySeparatorChar, '/');

    public static async Task<string> Sha256Async(string file, CancellationToken ct)
    {
        await using var fs = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ct));
    }

    /// <summary>A tree of files copied as they are (0700 directories, 0600 files); upload leftovers skipped.</summary>
    public static void CopyTree(string from, string to)
    {
        CreatePrivateDir(to);
        foreach (var sub in Directory.EnumerateDirectories(from)) CopyTree(sub, Path.Combine(to, Path.GetFileName(sub)));
        foreach (var file in Directory.EnumerateFiles(from))
            if (!Path.GetFileName(file).StartsWith(".upload-", StringComparison.Ordinal))
                CopyPrivate(file, Path.Combine(to, Path.GetFileName(file)));
    }

    public static void CopyPrivate(string from, string to)
    {
        CreatePrivateDir(Path.GetDirectoryName(to)!);
        using var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var target = new FileStream(to, PrivateNew());
        source.CopyTo(target);
        target.Flush(flushToDisk: true);
    }

    /// <summary>A directory only its owner opens (0700), made with its parents.</summary>
    public static void CreatePrivateDir(string dir)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>A new file only its owner reads (0600); an existing one is never overwritten.</summary>
    public static FileStreamOptions PrivateNew()
    {
        var o = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) o.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return o;
    }
}

public sealed class BackupManifest
{
    public string Format { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string WhistleVersion { get; set; } = "";
    public string Provider { get; set; } = "";
    public string? SchemaMigration { get; set; }
    public SortedDictionary<string, long> Counts { get; set; } = new(StringComparer.Ordinal);
    public List<BackupFile> Files { get; set; } = [];
    [JsonPropertyName("keys")]
    public string KeysNote { get; set; } = "The key ring is not in this backup: it is kept apart (backup --keys PATH, or keys backup shares).";
}

public sealed record BackupFile(string Path, long Size, string Sha256);

/// <summary>pg_dump and pg_restore: found in Whistle:Operations:PgBin, on the PATH, or in Debian's /usr/lib/postgresql/N/bin.</summary>
public static class PgTools
{
    public static string Find(string tool, IConfiguration configuration)
    {
        var candidates = new List<string>();
        if (configuration["Whistle:Operations:PgBin"] is { Length: > 0 } bin) candidates.Add(Path.Combine(bin, tool));
        // Debian's versioned directories, newest first (pg_dump must be as new as the server).
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.EnumerateDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Major: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .OrderByDescending(d => d.Major).Select(d => Path.Combine(d.Dir, "bin", tool)));
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(Path.Combine(dir, tool));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new StartupRefusal($"{tool} was not found. Install PostgreSQL's client tools, as new as the server (Debian: apt-get install postgresql-client), " +
                                        $"or set Whistle__Operations__PgBin to the directory that holds {tool}.");
    }

    /// <summary>Runs the tool against the configured database; the password goes in the environment, never on the command line.</summary>
    public static async Task RunAsync(string tool, string connectionString, IEnumerable<string> args, CancellationToken ct)
    {
        var cs = new NpgsqlConnectionStringBuilder(connectionString);
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--dbname=" + cs.Database);
        psi.Environment["PGHOST"] = cs.Host;
        psi.Environment["PGPORT"] = cs.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (cs.Username is { } user) psi.Environment["PGUSER"] = user;
        if (cs.Password is { } password) psi.Environment["PGPASSWORD"] = password;
        if (cs.SslMode is not SslMode.Prefer and not SslMode.Disable) psi.Environment["PGSSLMODE"] = cs.SslMode.ToString().ToLowerInvariant() switch
        {
            "verifyca" => "verify-ca", "verifyfull" => "verify-full", var m => m,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new StartupRefusal($"{Path.GetFileName(tool)} failed (exit {p.ExitCode}): {(await stderr).Trim()}");
        await stdout;
    }
}
