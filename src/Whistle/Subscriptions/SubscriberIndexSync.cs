using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Subscriptions;

/// <summary>
/// Keeps the <see cref="SubscriberIndex"/> in step with the database. Every change to a subscriber
/// bumps its ChangedAt; before each alert is targeted the index re-reads what changed since its
/// last look (with a margin for clock skew between processes and slow transactions), so several
/// Whistle processes over one PostgreSQL database all target the same subscribers.
/// </summary>
/// <remarks>
/// Circles are stored sealed (<see cref="SealedCircle"/>). The load at start-up reads a million rows (issue 16:
/// at most 2 s a million), so the rows are read with a plain data reader (only the five columns the index needs,
/// the command built by EF Core from the same LINQ query) into batches whose cipher texts sit in one reused buffer.
/// The first load splits the subscribers by id into ranges read on one connection per core: each reader opens its
/// batch's circles (its own AES-GCM context, no allocation a row) and enters the batch into the index under one hold
/// of its lock, so reading, decrypting and entering overlap. Later catch-ups (a few rows) read on the caller's
/// connection, inside its transaction if it has one. A circle that cannot be opened (keys destroyed, a damaged
/// cipher) leaves that subscriber reachable by zones only, and is logged as a count, never with the subscriber.
/// </remarks>
public sealed class SubscriberIndexSync(SubscriberIndex index, TimeProvider time, KeyRing keys, ILogger<SubscriberIndexSync>? log = null)
{
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);
    private const int BatchSize = 16_384;
    private const int Chunk = 2_048;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _watermark;

    public SubscriberIndex Index => index;

    /// <summary>Rows read but not yet in the index: the columns the index needs, cipher texts packed in one buffer.</summary>
    private sealed class Batch(int size)
    {
        public readonly long[] Ids = new long[size];
        public readonly bool[] Confirmed = new bool[size];
        public readonly SubscriberChannel[] Channels = new SubscriberChannel[size];
        public readonly int[][] Zones = new int[size][];
        public readonly int[] CipherAt = new int[size + 1];
        public readonly bool[] HasCipher = new bool[size];
        public readonly SealedCircle[] Circles = new SealedCircle[size];
        public readonly bool[] Opened = new bool[size];
        public readonly SubscriberArea[] Areas = new SubscriberArea[size];
        public byte[] Ciphers = new byte[size * 80];
        public int Count;
    }

    /// <summary>Rows a batch holds (a test seam: the tests load over several batches a range without a million rows).</summary>
    internal int BatchRows { get; init; } = BatchSize;

    public async Task CatchUpAsync(WhistleDb db, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var started = time.GetUtcNow();
            var query = db.Subscribers.AsNoTracking();
            int unopened;
            if (_watermark is { } since)
            {
                var from = since - Margin;
                unopened = await LoadAsync(db, Columns(query.Where(s => s.ChangedAt >= from)), ct);
            }
            else
            {
                unopened = await LoadAllAsync(db, query.Where(s => s.State == SubscriberState.Confirmed), ct);
            }
            if (unopened > 0)
                log?.LogWarning("Circles unavailable: {Count} subscribers' circles could not be decrypted (keys destroyed or damaged); they are reached by their zones only", unopened);
            _watermark = started;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The five columns the index needs, in the order <see cref="FillAsync"/> reads them.</summary>
    private static IQueryable<Row> Columns(IQueryable<Subscriber> query) =>
        query.Select(s => new Row { Id = s.Id, State = s.State, Channel = s.Channel, Zones = s.Zones, AreaCipher = s.AreaCipher });

    private sealed class Row
    {
        public long Id { get; init; }
        public SubscriberState State { get; init; }
        public SubscriberChannel Channel { get; init; }
        public string Zones { get; init; } = "";
        public byte[]? AreaCipher { get; init; }
    }

    /// <summary>
    /// The first load: the confirmed subscribers in id ranges, read on one connection per core (see the remarks); on the
    /// caller's connection alone when it is inside a transaction or there is one core.
    /// </summary>
    private async Task<int> LoadAllAsync(WhistleDb db, IQueryable<Subscriber> confirmed, CancellationToken ct)
    {
        int workers = Math.Min(Environment.ProcessorCount, 4);
        if (workers < 2 || db.Database.CurrentTransaction is not null)
            return await LoadAsync(db, Columns(confirmed), ct);
        // The bounds of every subscriber's id (the primary key's ends, not a scan); ranges split that span evenly, and there
        // are more ranges than readers, taken in turn, so a dense range does not leave the other cores idle.
        if (await db.Subscribers.MinAsync(s => (long?)s.Id, ct) is not { } min || await db.Subscribers.MaxAsync(s => (long?)s.Id, ct) is not { } max)
            return 0;
        int ranges = workers * 4;
        long width = (max - min) / ranges + 1;
        var commands = new List<DbCommand>(ranges);
        for (int r = 0; r < ranges; r++)
        {
            long from = min + r * width, to = from + width;
            commands.Add(Columns(confirmed.Where(s => s.Id >= from && s.Id < to)).CreateDbCommand());
        }
        int next = -1, unopened = 0;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                await using var connection = NewConnection(db);
                await connection.OpenAsync(ct);
                var batch = new Batch(BatchRows);
                var zoneLists = new Dictionary<string, int[]> { [""] = [] };
                for (int r; (r = Interlocked.Increment(ref next)) < ranges;)
                {
                    var command = commands[r];
                    command.Connection = connection;
                    await using var reader = await command.ExecuteReaderAsync(ct);
                    while (true)
                    {
                        bool more = await FillAsync(reader, batch, zoneLists, ct);
                        if (batch.Count > 0) Interlocked.Add(ref unopened, Enter(batch, openOnEveryCore: false));
                        if (!more) break;
                    }
                }
            }, ct)));
        }
        finally
        {
            foreach (var command in commands) await command.DisposeAsync();
        }
        return unopened;
    }

    /// <summary>
    /// Another connection to the same database, not yet open: a clone where the provider offers one (Npgsql: it keeps the
    /// password an opened connection's string no longer shows), else the provider's factory with the same string (SQLite).
    /// </summary>
    private static DbConnection NewConnection(WhistleDb db)
    {
        var connection = db.Database.GetDbConnection();
        if (connection is ICloneable cloneable) return (DbConnection)cloneable.Clone();
        var created = DbProviderFactories.GetFactory(connection)?.CreateConnection()
            ?? throw new InvalidOperationException("The database provider cannot open a second connection.");
        created.ConnectionString = db.Database.GetConnectionString();
        return created;
    }

    /// <summary>Reads the rows of <paramref name="query"/> (columns Id, State, Channel, Zones, AreaCipher in that order) into the index; answers how many circles could not be opened.</summary>
    private async Task<int> LoadAsync(WhistleDb db, IQueryable<Row> query, CancellationToken ct)
    {
        var zoneLists = new Dictionary<string, int[]> { [""] = [] };
        int unopened = 0;
        var filling = new Batch(BatchRows);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = query.CreateDbCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (true)
            {
                bool more = await FillAsync(reader, filling, zoneLists, ct);
                if (filling.Count > 0) unopened += Enter(filling, openOnEveryCore: true);
                if (!more) break;
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        return unopened;
    }

    /// <summary>Reads up to a batch of rows; false once the reader is done.</summary>
    private static async Task<bool> FillAsync(DbDataReader reader, Batch b, Dictionary<string, int[]> zoneLists, CancellationToken ct)
    {
        b.Count = 0;
        int at = 0;
        while (b.Count < b.Ids.Length)
        {
            if (!await reader.ReadAsync(ct)) return false;
            int i = b.Count++;
            b.Ids[i] = reader.GetInt64(0);
            b.Confirmed[i] = reader.GetInt32(1) == (int)SubscriberState.Confirmed;
            b.Channels[i] = (SubscriberChannel)reader.GetInt32(2);
            var zones = reader.GetString(3);
            if (!zoneLists.TryGetValue(zones, out var ids)) zoneLists[zones] = ids = Alerts.Alert.ZoneIds(zones);
            b.Zones[i] = ids;
            b.CipherAt[i] = at;
            b.HasCipher[i] = !reader.IsDBNull(4);
            if (b.HasCipher[i])
            {
                // Not GetBytes into the buffer: Microsoft.Data.Sqlite answers that by opening an incremental blob handle
                // on the row (sqlite3_blob_open and a seek, a row at a time), which cost more than the rest of the read.
                var cipher = reader.GetFieldValue<byte[]>(4);
                if (at + cipher.Length > b.Ciphers.Length) Array.Resize(ref b.Ciphers, Math.Max(b.Ciphers.Length * 2, at + cipher.Length));
                cipher.CopyTo(b.Ciphers, at);
                at += cipher.Length;
            }
            b.CipherAt[i + 1] = at;
        }
        return true;
    }

    /// <summary>
    /// Opens the batch's circles (on every core, or on this thread when other readers already keep the cores busy), then
    /// enters its rows into the index under one hold of its lock; answers the circles not opened.
    /// </summary>
    private int Enter(Batch b, bool openOnEveryCore)
    {
        int chunks = (b.Count + Chunk - 1) / Chunk;
        if (openOnEveryCore && chunks > 1) Parallel.For(0, chunks, chunk => Open(b, chunk * Chunk, Math.Min(b.Count, chunk * Chunk + Chunk)));
        else Open(b, 0, b.Count);
        int unopened = 0, entering = 0;
        for (int i = 0; i < b.Count; i++)
        {
            long id = b.Ids[i];
            if (!b.Confirmed[i]) { index.Remove(id); continue; } // ids are distinct within a read: removals need no order
            if (b.HasCipher[i] && !b.Opened[i]) unopened++;
            b.Areas[entering++] = b.Opened[i]
                ? new SubscriberArea(id, b.Circles[i].Lat, b.Circles[i].Lon, b.Circles[i].RadiusMeters, b.Zones[i], b.Channels[i])
                : new SubscriberArea(id, null, null, null, b.Zones[i], b.Channels[i]);
        }
        index.Upsert(b.Areas.AsSpan(0, entering));
        Array.Clear(b.Areas, 0, entering); // the zone lists they hold belong to the index now
        return unopened;
    }

    private KeyRing.Opener? OpenerOrNone()
    {
        try { return keys.OpenerFor(Purpose.SubscriberArea); }
        catch (KeysDestroyedException) { return null; }
    }

    private void Open(Batch b, int from, int to)
    {
        using var opener = OpenerOrNone();
        for (int i = from; i < to; i++)
        {
            b.Opened[i] = false;
            if (opener is null || !b.Confirmed[i] || !b.HasCipher[i]) continue;
            b.Opened[i] = SealedCircle.TryOpen(opener, b.Ciphers.AsSpan(b.CipherAt[i], b.CipherAt[i + 1] - b.CipherAt[i]), out b.Circles[i]);
        }
    }
}
