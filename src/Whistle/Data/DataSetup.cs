using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Whistle.Geo;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Data;

public static class DataSetup
{
    /// <summary>The metrics' save observer (reports received, sightings confirmed), when telemetry is on.</summary>
    private static IInterceptor[] Observed(IServiceProvider sp) =>
        sp.GetService<Platform.WhistleMetrics>() is { } metrics ? [metrics.Saves] : [];

    /// <summary>Options, the data dir, the database (SQLite file or PostgreSQL), the key ring and the caches over them.</summary>
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Whistle");
        builder.Services.Configure<WhistleOptions>(section);
        var options = section.Get<WhistleOptions>() ?? new WhistleOptions();
        // 0700 data dir; the SQLite file made 0600 before SQLite opens it, so its -wal and -shm are 0600 too (decision 0027).
        KeyStore.CreatePrivate(options.DataPath,
            options.Database.IsPostgres || options.Database.ConnectionString is not null ? null : Path.Combine(options.DataPath, "whistle.db"));

        if (options.Database.IsPostgres)
        {
            var cs = options.Database.ConnectionString
                ?? throw new InvalidOperationException("Whistle:Database:ConnectionString is required when the provider is postgres.");
            builder.Services.AddDbContext<WhistleDb, PostgresWhistleDb>((sp, o) => o.UseNpgsql(cs).AddInterceptors(ReportSealing.Instance).AddInterceptors(Observed(sp)),
                optionsLifetime: ServiceLifetime.Singleton); // built once, not for every request (issue 16: ~5 % of intake's CPU)
        }
        else
        {
            var cs = options.Database.ConnectionString ?? SqliteConnectionString(options.DataPath);
            builder.Services.AddDbContext<WhistleDb, SqliteWhistleDb>((sp, o) => o.UseSqlite(cs).AddInterceptors(SqlitePragmas.Instance, ReportSealing.Instance).AddInterceptors(Observed(sp)),
                optionsLifetime: ServiceLifetime.Singleton);
        }

        builder.Services.AddSingleton(sp => new KeyStore(sp.GetRequiredService<IOptions<WhistleOptions>>().Value));
        builder.Services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<KeyStore>();
            var ring = store.Load(() => KeyStore.PromptOnTerminal("Passphrase for Whistle's key ring: "));
            // A ring from before custody heads were signed (decision 0031) gets its custody key now, written back where
            // the ring lives (wrapped again when it was wrapped); a ring from the setting must carry it itself.
            if (!ring.IsDestroyed && !ring.HasCustodyKey && !store.FromSetting)
            {
                ring.CustodyKey().Dispose();
                try { store.Save(ring); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger("Whistle.Keys")
                        .LogWarning("The key ring's new custody key could not be written back ({Error}); heads signed in this run will not verify after a restart", e.GetType().Name);
                }
            }
            return ring;
        });
        builder.Services.AddHostedService<KeyWatch>();
        builder.Services.AddSingleton<ZoneRegistry>();
        builder.Services.AddSingleton<Places.GazetteerRegistry>();
        builder.Services.AddSingleton<SubscriberIndex>();
        builder.Services.AddSingleton<SubscriberIndexSync>();
        return builder;
    }

    public static string SqliteConnectionString(string dataDir) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDir, "whistle.db"),
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();
}

/// <summary>
/// Every SQLite connection: write-ahead log, durable commits, foreign keys, wait on a busy writer, and secure_delete
/// (deleted rows are overwritten with zeros, so purged personal data does not linger in free pages).
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();
    // cache_size in KiB (negative): a city-wide fan-out's index pages stay in memory until the commit writes them once.
    // page_size applies when the file is created (16 KiB pages: ~25 % faster fan-out writes, measured), a no-op after.
    private const string Sql = "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-131072; PRAGMA secure_delete=ON;";

    // EF's "does the database exist" opens read-only (the file is made 0600 before SQLite first opens it, so it exists):
    // a read-only connection cannot set WAL or the page size, and needs none of these.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> ReadOnlyByConnectionString = new();
    private static bool ReadOnly(DbConnection c) => ReadOnlyByConnectionString.GetOrAdd(c.ConnectionString,
        cs => new SqliteConnectionStringBuilder(cs).Mode == SqliteOpenMode.ReadOnly);

    // The pragmas hold for the connection's life, and Microsoft.Data.Sqlite pools connections: each physical connection
    // gets them once, not at every open of a pooled one (issue 16: the intake path opens one per request).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Done = new();

    private static bool Needs(DbConnection c) =>
        !ReadOnly(c) && (c is not SqliteConnection { Handle: { } handle } || !Done.TryGetValue(handle, out _));

    private static void Mark(DbConnection c)
    {
        if (c is SqliteConnection { Handle: { } handle }) Done.AddOrUpdate(handle, Instance);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!Needs(connection)) return;
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Sql;
        cmd.ExecuteNonQuery();
        Mark(connection);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        if (!Needs(connection)) return;
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = Sql;
        await cmd.ExecuteNonQueryAsync(ct);
        Mark(connection);
    }
}
