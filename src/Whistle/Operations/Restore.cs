using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Operations;

/// <summary>
/// `restore DIR [--keys PATH]`: checks everything before writing anything — the manifest's format and provider, the
/// SHA-256 of every file it lists (and no file it does not), a schema this build knows, an empty data dir and an empty
/// database (a live network is never overwritten) — then restores the database, the data dir's files and the key
/// ring, and prints the counts it finds against the manifest's. Decision 0048.
/// </summary>
public static class Restore
{
    public static async Task<int> RunAsync(IServiceProvider services, string source, string? keysPath, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var options = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<WhistleOptions>>().Value;
        var store = scope.ServiceProvider.GetRequiredService<KeyStore>();
        var configuration = scope.ServiceProvider.GetRequiredService<IConfiguration>();

        var dir = Path.GetFullPath(source);
        var manifest = await VerifyAsync(dir, ct);
        var provider = db.IsPostgres ? "postgres" : "sqlite";
        if (manifest.Provider != provider)
            throw new StartupRefusal($"The backup holds a {manifest.Provider} database and this Whistle is configured for {provider}; restore it with the same provider.");
        if (manifest.SchemaMigration is { } schema && SchemaGuard.Check([schema], db.Database.GetMigrations()) is not null)
            throw new StartupRefusal($"The backup was made by a newer Whistle (schema {schema}); restore it with that version. Nothing was written.");

        // The key ring: read (and, when plain, parsed) before anything is written; where it goes must be free.
        string? keysText = null, keysTarget = null;
        if (keysPath is not null)
        {
            var keys = Path.GetFullPath(keysPath);
            if (!File.Exists(keys)) throw new StartupRefusal($"There is no key ring at {keys}.");
            keysText = await File.ReadAllTextAsync(keys, ct);
            bool wrapped = KeyWrap.IsWrapped(keysText);
            if (!wrapped)
                try { KeyRing.FromJson(keysText); }
                catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
                { throw new StartupRefusal($"{keys} is not a Whistle key ring."); }
            if (store.FromSetting) throw new StartupRefusal("The key ring comes from Whistle:Encryption:Keys here; unset it to restore a key file, or leave out --keys.");
            keysTarget = store.KeyFile ?? (wrapped ? store.WrappedFile : store.PlainFile);
            if (File.Exists(keysTarget)) throw new StartupRefusal($"A key ring is already at {keysTarget}; restore goes into an empty data dir.");
        }

        // Never over a live network: the data dir holds nothing but the empty database file a start makes, and the database no table.
        var data = options.DataPath;
        var occupied = Directory.Exists(data)
            ? Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories)
                .Where(f => !(Path.GetFileName(f).StartsWith("whistle.db", StringComparison.Ordinal) && new FileInfo(f).Length == 0))
                .Take(3).ToList()
            : [];
        if (occupied.Count > 0)
            throw new StartupRefusal($"The data dir {data} is not empty ({string.Join(", ", occupied)}). Restore goes into a new, empty data dir; nothing was written.");
        var cs = db.Database.GetConnectionString()!;
        if (db.IsPostgres)
        {
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync(ct);
            var tables = Convert.ToInt64(await Backup.ScalarAsync(conn, null,
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')", ct));
            if (tables > 0)
                throw new StartupRefusal($"The database {conn.Database} already holds {tables} tables. Restore goes into a new, empty database; nothing was written.");
        }
        else
        {
            var file = new SqliteConnectionStringBuilder(cs).DataSource;
            if (File.Exists(file) && new FileInfo(file).Length > 0)
                throw new StartupRefusal($"The database {file} is not empty. Restore goes into a new, empty data dir; nothing was written.");
        }

        // Checked: now written.
        KeyStore.CreatePrivate(data, null);
        if (db.IsPostgres)
        {
            await PgTools.RunAsync(PgTools.Find("pg_restore", configuration), cs,
                ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", Path.Combine(dir, Backup.PostgresName)], ct);
        }
        else
        {
            var file = new SqliteConnectionStringBuilder(cs).DataSource;
            KeyStore.CreatePrivate(Path.GetDirectoryName(file)!, file);
            await using var from = new SqliteConnection(new SqliteConnectionStringBuilder
                { DataSource = Path.Combine(dir, Backup.SqliteName), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await using var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
            await from.OpenAsync(ct);
            await to.OpenAsync(ct);
            from.BackupDatabase(to);
        }
        foreach (var f in manifest.Files.Where(f => f.Path.StartsWith("files/", StringComparison.Ordinal)))
            Backup.CopyPrivate(Path.Combine(dir, f.Path), Path.Combine(data, f.Path["files/".Length..]));
        if (keysText is not null) KeyStore.WritePrivate(keysTarget!, keysText);

        // What the restored database holds, against what the backup counted.
        var found = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var conn2 = db.Database.GetDbConnection();
        await conn2.OpenAsync(ct);
        try
        {
            foreach (var (name, table) in Backup.CountedTables(db))
                found[name] = Convert.ToInt64(await Backup.ScalarAsync(conn2, null, $"SELECT COUNT(*) FROM \"{table}\"", ct));
        }
        finally { await conn2.CloseAsync(); }
        Console.WriteLine($"Restored the backup of {manifest.CreatedAt:yyyy-MM-dd HH:mm} UTC (Whistle {manifest.WhistleVersion}, schema {manifest.SchemaMigration}) into {data}:");
        bool same = true;
        foreach (var (name, count) in found)
        {
            long expected = manifest.Counts.GetValueOrDefault(name, count);
            same &= expected == count;
            Console.WriteLine($"  {name,-16} {count}{(expected == count ? "" : $"   (the backup counted {expected})")}");
        }
        Console.WriteLine($"  {"files",-16} {manifest.Files.Count(f => f.Path.StartsWith("files/", StringComparison.Ordinal))}");
        Console.WriteLine(keysText is null
            ? "No key ring was restored (--keys PATH): put the network's key ring in place before the first start, or its personal data stays unreadable."
            : $"The key ring was restored to {keysTarget}.");
        Console.WriteLine("Data purged since the backup was made is back: the first start's housekeeping pass purges again what retention has expired.");
        if (!same)
        {
            Console.Error.WriteLine("The restored database does not hold what the backup counted.");
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// The manifest, once every file it lists is there with its size and SHA-256, no path leaves the backup, and no
    /// file is there that it does not list. Refuses (<see cref="StartupRefusal"/>) otherwise; reads only.
    /// </summary>
    public static async Task<BackupManifest> VerifyAsync(string dir, CancellationToken ct = default)
    {
        var manifestFile = Path.Combine(dir, Backup.ManifestName);
        if (!File.Exists(manifestFile)) throw new StartupRefusal($"{dir} holds no {Backup.ManifestName}: it is not a Whistle backup.");
        BackupManifest manifest;
        try { manifest = JsonSerializer.Deserialize<BackupManifest>(await File.ReadAllTextAsync(manifestFile, ct), Backup.Json) ?? throw new JsonException(); }
        catch (JsonException) { throw new StartupRefusal($"{manifestFile} is not a readable backup manifest. Nothing was written."); }
        if (manifest.Format != Backup.Format)
            throw new StartupRefusal($"{manifestFile} is a \"{manifest.Format}\" backup; this Whistle reads {Backup.Format}. Nothing was written.");
        var database = manifest.Provider == "postgres" ? Backup.PostgresName : Backup.SqliteName;
        if (manifest.Files.All(f => f.Path != database)) throw new StartupRefusal($"The manifest lists no {database}. Nothing was written.");

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in manifest.Files)
        {
            var path = Path.GetFullPath(Path.Combine(dir, f.Path));
            if (f.Path.Contains('\\') || Path.IsPathRooted(f.Path) || !Backup.IsInside(path, dir) || path == Path.GetFullPath(dir) || !listed.Add(f.Path))
                throw new StartupRefusal($"The manifest names a file outside the backup or twice ({f.Path}). Nothing was written.");
            if (!File.Exists(path)) throw new StartupRefusal($"{f.Path} is missing from the backup. Nothing was written.");
            if (new FileInfo(path).Length != f.Size || await Backup.Sha256Async(path, ct) != f.Sha256)
                throw new StartupRefusal($"{f.Path} differs from the backup's manifest (damaged or changed since). Nothing was written.");
        }
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var rel = Backup.Relative(dir, file);
            if (rel != Backup.ManifestName && !listed.Contains(rel))
                throw new StartupRefusal($"{rel} is in the backup but not in its manifest (added since). Nothing was written.");
        }
        return manifest;
    }
}
