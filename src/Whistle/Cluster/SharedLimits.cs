using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using Whistle.Data;

namespace Whistle.Cluster;

/// <summary>Where the counters and paces several nodes must agree on live (decision 0046).</summary>
public enum LimitStore
{
    /// <summary>One node (SQLite, or PostgreSQL with Whistle:Redis unset and Whistle:SharedLimits:InDatabase off): in process, as before issue 16.</summary>
    Memory,
    /// <summary>Whistle:Redis is set: atomic Lua scripts, one round trip a call.</summary>
    Redis,
    /// <summary>PostgreSQL without Redis: one unlogged table, one atomic upsert a call.</summary>
    Database,
}

/// <summary>A fixed window's answer: how many were counted in it (this call's included) and how long until it ends.</summary>
public readonly record struct WindowCount(long Count, TimeSpan Remaining);

/// <summary>A pacing slot: which of the identities asked for it went to, and how long to wait until it.</summary>
public readonly record struct PaceSlot(int Index, TimeSpan Wait);

/// <summary>
/// Counters in a time window and pacing slots that every node of a network shares: with Redis (Whistle:Redis) an
/// atomic Lua script, else on PostgreSQL an atomic upsert in one small unlogged table. A window starts at its first
/// hit and ends a window later (the key expires), whoever counted. A slot allocator hands out times, not leases:
/// slot = max(now, next), next = slot + interval, in one atomic step on the store's own clock — so N nodes together
/// keep one pace, and a node that dies after taking a slot loses nothing but that slot's time.
/// Every call may throw when the store is unreachable: callers decide whether to fall back to their in-process
/// limit (fail open to one node's limit) or to refuse (fail closed). <see cref="Available"/> lets them skip a store
/// that is known down without waiting for its time-out.
/// </summary>
public sealed class SharedLimits(RedisConnection redis, IOptions<WhistleOptions> options, ILogger<SharedLimits> log) : IDisposable
{
    public const string Table = "whistle_shared_limits";

    // KEYS[1] the counter; ARGV[1] units, ARGV[2] window (ms). Returns {count, ms left}.
    private const string CountScript = """
        local n = redis.call('INCRBY', KEYS[1], ARGV[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          ttl = tonumber(ARGV[2])
        end
        return {n, ttl}
        """;

    // KEYS: the identities' next-free times (µs on Redis' clock). ARGV[1]: the interval (µs) this caller takes.
    // Takes the identity free soonest; returns {index (0-based), µs to wait}.
    private const string SlotScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local best, nextFree = 1, nil
        for i, k in ipairs(KEYS) do
          local n = tonumber(redis.call('GET', k) or '0')
          if nextFree == nil or n < nextFree then best, nextFree = i, n end
        end
        local slot = math.max(now, nextFree)
        local after = slot + tonumber(ARGV[1])
        redis.call('SET', KEYS[best], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 60000)
        return {best - 1, string.format('%.0f', slot - now)}
        """;

    private const string NowMicros = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";

    private readonly Lazy<NpgsqlDataSource> _pg = new(() => NpgsqlDataSource.Create(options.Value.Database.ConnectionString!));
    private readonly SemaphoreSlim _tableGate = new(1, 1);
    private volatile bool _tableReady;
    private long _nextSweep;
    private long _downUntil;

    public LimitStore Store { get; } = redis.Configured ? LimitStore.Redis
        : options.Value.Database.IsPostgres && options.Value.SharedLimits.InDatabase ? LimitStore.Database
        : LimitStore.Memory;

    /// <summary>Whether the limits are shared at all (else callers keep their in-process limiters).</summary>
    public bool Shared => Store != LimitStore.Memory;

    /// <summary>False while the store is known to be unreachable (a failed call, or Redis disconnected): skip it, fall back.</summary>
    public bool Available => Store switch
    {
        LimitStore.Memory => false,
        LimitStore.Redis => Environment.TickCount64 >= Interlocked.Read(ref _downUntil) && redis.Multiplexer.IsConnected,
        _ => Environment.TickCount64 >= Interlocked.Read(ref _downUntil),
    };

    /// <summary>Counts <paramref name="units"/> in the window named <paramref name="name"/> (a window starts at its first hit).</summary>
    public async Task<WindowCount> CountAsync(string name, TimeSpan window, long units = 1, CancellationToken ct = default)
    {
        var windowMs = Math.Max(1L, (long)Math.Ceiling(window.TotalMilliseconds));
        try
        {
            if (Store == LimitStore.Redis)
            {
                var r = (RedisResult[])(await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(CountScript,
                    [new RedisKey(redis.Key("limit:" + name))], [units, windowMs]))!;
                return new WindowCount((long)r[0], TimeSpan.FromMilliseconds((long)r[1]));
            }
            if (Store != LimitStore.Database) throw new InvalidOperationException("Limits are not shared on this node.");
            await ReadyAsync(ct);
            await using var cmd = _pg.Value.CreateCommand($"""
                INSERT INTO {Table} AS t (key, value, until) VALUES (@k, @n, {NowMicros} + @w)
                ON CONFLICT (key) DO UPDATE SET
                  value = CASE WHEN t.until <= {NowMicros} THEN @n ELSE t.value + @n END,
                  until = CASE WHEN t.until <= {NowMicros} THEN {NowMicros} + @w ELSE t.until END
                RETURNING value, until - {NowMicros}
                """);
            cmd.Parameters.AddWithValue("k", "limit:" + name);
            cmd.Parameters.AddWithValue("n", units);
            cmd.Parameters.AddWithValue("w", windowMs * 1000);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var result = new WindowCount(reader.GetInt64(0), TimeSpan.FromMicroseconds(Math.Max(0, reader.GetInt64(1))));
            await reader.DisposeAsync();
            await SweepAsync(ct);
            return result;
        }
        catch (Exception e) when (e is RedisException or NpgsqlException or TimeoutException)
        {
            Down(e);
            throw new SharedLimitsUnavailableException(e);
        }
    }

    // KEYS[1] the counter; ARGV[1] window (ms). One more, and the window restarts from now (it ends a window after the last hit).
    private const string BumpScript = """
        local n = redis.call('INCR', KEYS[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return n
        """;

    // KEYS[1] the counter. Returns {count, ms left}; {0, 0} when there is none.
    private const string PeekScript = """
        local n = redis.call('GET', KEYS[1])
        if not n then return {0, 0} end
        return {tonumber(n), redis.call('PTTL', KEYS[1])}
        """;

    /// <summary>
    /// Counts one more in the window named <paramref name="name"/>, which then ends <paramref name="window"/> after this
    /// hit (a sliding "since the last one" window: failed logins are forgotten a window after the last failure).
    /// </summary>
    public Task<long> BumpAsync(string name, TimeSpan window, CancellationToken ct = default) => Guard(async () =>
    {
        var windowMs = Math.Max(1L, (long)Math.Ceiling(window.TotalMilliseconds));
        if (Store == LimitStore.Redis)
            return (long)(await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(BumpScript, [new RedisKey(redis.Key("limit:" + name))], [windowMs]));
        await ReadyAsync(ct);
        await using var cmd = _pg.Value.CreateCommand($"""
            INSERT INTO {Table} AS t (key, value, until) VALUES (@k, 1, {NowMicros} + @w)
            ON CONFLICT (key) DO UPDATE SET
              value = CASE WHEN t.until <= {NowMicros} THEN 1 ELSE t.value + 1 END,
              until = {NowMicros} + @w
            RETURNING value
            """);
        cmd.Parameters.AddWithValue("k", "limit:" + name);
        cmd.Parameters.AddWithValue("w", windowMs * 1000);
        var n = (long)(await cmd.ExecuteScalarAsync(ct))!;
        await SweepAsync(ct);
        return n;
    });

    /// <summary>What the window named <paramref name="name"/> holds now and how long until it ends, without counting; (0, 0) when none.</summary>
    public Task<WindowCount> PeekAsync(string name, CancellationToken ct = default) => Guard(async () =>
    {
        if (Store == LimitStore.Redis)
        {
            var r = (RedisResult[])(await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(PeekScript, [new RedisKey(redis.Key("limit:" + name))]))!;
            return new WindowCount((long)r[0], TimeSpan.FromMilliseconds(Math.Max(0, (long)r[1])));
        }
        await ReadyAsync(ct);
        await using var cmd = _pg.Value.CreateCommand($"SELECT value, until - {NowMicros} FROM {Table} WHERE key = @k AND until > {NowMicros}");
        cmd.Parameters.AddWithValue("k", "limit:" + name);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new WindowCount(reader.GetInt64(0), TimeSpan.FromMicroseconds(Math.Max(0, reader.GetInt64(1))))
            : new WindowCount(0, TimeSpan.Zero);
    });

    /// <summary>Forgets the window named <paramref name="name"/> (the owner got in: their slate is clean).</summary>
    public Task ForgetAsync(string name, CancellationToken ct = default) => Guard(async () =>
    {
        if (Store == LimitStore.Redis)
            return await redis.Multiplexer.GetDatabase().KeyDeleteAsync(redis.Key("limit:" + name));
        await ReadyAsync(ct);
        await using var cmd = _pg.Value.CreateCommand($"DELETE FROM {Table} WHERE key = @k");
        cmd.Parameters.AddWithValue("k", "limit:" + name);
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    });

    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        if (Store == LimitStore.Memory) throw new InvalidOperationException("Limits are not shared on this node.");
        try { return await call(); }
        catch (Exception e) when (e is RedisException or NpgsqlException or TimeoutException)
        {
            Down(e);
            throw new SharedLimitsUnavailableException(e);
        }
    }

    /// <summary>
    /// The next sending slot of the identity (of <paramref name="names"/>) free soonest: the caller waits
    /// <see cref="PaceSlot.Wait"/> and then sends; the identity's next slot is <paramref name="interval"/> after this one.
    /// </summary>
    public async Task<PaceSlot> SlotAsync(IReadOnlyList<string> names, TimeSpan interval, CancellationToken ct = default)
    {
        var micros = Math.Max(1L, (long)Math.Ceiling(interval.TotalMicroseconds));
        try
        {
            if (Store == LimitStore.Redis)
            {
                // One hash tag for the whole pool, so the script's keys stay together on a Redis Cluster too.
                var keys = names.Select(n => new RedisKey(redis.Key("{pace}:" + n))).ToArray();
                var r = (RedisResult[])(await redis.Multiplexer.GetDatabase().ScriptEvaluateAsync(SlotScript, keys, [micros]))!;
                return new PaceSlot((int)r[0], TimeSpan.FromMicroseconds(Math.Max(0, long.Parse((string)r[1]!, CultureInfo.InvariantCulture))));
            }
            if (Store != LimitStore.Database) throw new InvalidOperationException("Paces are not shared on this node.");
            await ReadyAsync(ct);
            int index = 0;
            if (names.Count > 1)
            {
                // Choose the identity free soonest (a hint: the upsert below is what keeps the pace, atomically).
                await using var pick = _pg.Value.CreateCommand($"SELECT key, value FROM {Table} WHERE key = ANY(@k)");
                pick.Parameters.AddWithValue("k", names.Select(n => "pace:" + n).ToArray());
                var next = new Dictionary<string, long>();
                await using (var rows = await pick.ExecuteReaderAsync(ct))
                    while (await rows.ReadAsync(ct)) next[rows.GetString(0)] = rows.GetInt64(1);
                index = Enumerable.Range(0, names.Count).MinBy(i => next.GetValueOrDefault("pace:" + names[i]));
            }
            await using var cmd = _pg.Value.CreateCommand($"""
                INSERT INTO {Table} AS t (key, value, until) VALUES (@k, {NowMicros} + @i, {NowMicros} + @i + 60000000)
                ON CONFLICT (key) DO UPDATE SET
                  value = GREATEST(t.value, {NowMicros}) + @i,
                  until = GREATEST(t.value, {NowMicros}) + @i + 60000000
                RETURNING value - @i - {NowMicros}
                """);
            cmd.Parameters.AddWithValue("k", "pace:" + names[index]);
            cmd.Parameters.AddWithValue("i", micros);
            var wait = (long)(await cmd.ExecuteScalarAsync(ct))!;
            await SweepAsync(ct);
            return new PaceSlot(index, TimeSpan.FromMicroseconds(Math.Max(0, wait)));
        }
        catch (Exception e) when (e is RedisException or NpgsqlException or TimeoutException)
        {
            Down(e);
            throw new SharedLimitsUnavailableException(e);
        }
    }

    /// <summary>
    /// Waits for the next sending slot of the identity (of <paramref name="names"/>) free soonest, <paramref name="units"/>
    /// units (SMS segments) at <paramref name="perSecond"/> for the whole cluster. Null when this node must pace alone
    /// (limits not shared, or the store unreachable): the caller then paces at <see cref="AloneShare"/> of the rate.
    /// </summary>
    public async Task<int?> TryPaceAsync(IReadOnlyList<string> names, double perSecond, int units, CancellationToken ct)
    {
        if (!Shared || !Available) return null;
        var interval = TimeSpan.FromSeconds(Math.Max(1, units) / Math.Max(0.01, perSecond));
        // One waiting sender per identity (pool) on this node, as the in-process Pace: a node holds at most one slot
        // ahead, so senders woken late together cannot go in a burst, and a late one wastes one slot, not many.
        var turn = _turns.GetOrAdd(string.Join(",", names), _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(ct);
        try { return await PaceInTurnAsync(names, interval, ct); }
        finally { turn.Release(); }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _turns = new();

    private async Task<int?> PaceInTurnAsync(IReadOnlyList<string> names, TimeSpan interval, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            PaceSlot slot;
            long asked = System.Diagnostics.Stopwatch.GetTimestamp();
            try { slot = await SlotAsync(names, interval, ct); }
            catch (SharedLimitsUnavailableException) { return null; }
            // The slot is a time on the store's clock; here it is (about) halfway through the call plus the wait.
            long answered = System.Diagnostics.Stopwatch.GetTimestamp();
            var due = asked + (answered - asked) / 2 + (long)(slot.Wait.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            // A provider's limit is in real seconds: wait by the wall clock, whatever clock the rest of the app is given.
            if (slot.Wait > TimeSpan.Zero) await Task.Delay(slot.Wait, TimeProvider.System, ct);
            // Slots are handed out ahead (one per node): a sender woken late could go close to the next node's slot.
            // Late past the tolerance, it gives its slot up (it stays empty: the rate is never exceeded) and asks
            // again — as the in-process Pace counts from when the previous one actually went.
            var late = System.Diagnostics.Stopwatch.GetElapsedTime(due);
            if (late <= LateTolerance || attempt >= 50) return slot.Index;
        }
    }

    /// <summary>How late after its slot a sender may still go (well within the 5 % headroom of a second).</summary>
    public static readonly TimeSpan LateTolerance = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The share of a sending rate one node keeps when it paces alone although limits are meant to be shared (the store
    /// is down): 1 / Whistle:SharedLimits:Nodes, so the nodes together still keep to the rate. 1 on a single node.
    /// </summary>
    public double AloneShare => Shared ? 1.0 / Math.Max(1, options.Value.SharedLimits.Nodes) : 1.0;

    private void Down(Exception e)
    {
        // A store that failed is skipped for a few seconds, so requests do not each wait for its time-out.
        Interlocked.Exchange(ref _downUntil, Environment.TickCount64 + 5_000);
        log.LogWarning("Shared limits store ({Store}) unreachable: {Error}", Store, e.GetType().Name);
    }

    private async Task ReadyAsync(CancellationToken ct)
    {
        if (_tableReady) return;
        await _tableGate.WaitAsync(ct);
        try
        {
            if (_tableReady) return;
            // Unlogged: counters and paces are worth nothing after a crash (a window restarts, a pace starts from now),
            // and they cost no WAL. Created here, not by a migration: it is the store's, not the model's.
            await using var cmd = _pg.Value.CreateCommand(
                $"CREATE UNLOGGED TABLE IF NOT EXISTS {Table} (key text PRIMARY KEY, value bigint NOT NULL, until bigint NOT NULL)");
            try { await cmd.ExecuteNonQueryAsync(ct); }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable) { }
            _tableReady = true;
        }
        finally
        {
            _tableGate.Release();
        }
    }

    /// <summary>Now and then (a minute apart per node) the windows and paces that ended go.</summary>
    private async Task SweepAsync(CancellationToken ct)
    {
        var now = Environment.TickCount64;
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + 60_000, due) != due) return;
        await using var cmd = _pg.Value.CreateCommand($"DELETE FROM {Table} WHERE until < {NowMicros}");
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public void Dispose()
    {
        if (_pg.IsValueCreated) _pg.Value.Dispose();
        _tableGate.Dispose();
    }
}

/// <summary>The shared store did not answer; the caller falls back (fails open to its node's limit) or refuses (fails closed).</summary>
public sealed class SharedLimitsUnavailableException(Exception inner) : Exception("The shared limits store is unreachable.", inner);

/// <summary>Whistle:SharedLimits:* — where nodes share rate limits and sending paces when there is no Redis.</summary>
public sealed class SharedLimitOptions
{
    /// <summary>
    /// On PostgreSQL without Redis, keep rate limits and sending paces in the database, so several nodes over one
    /// database share them (default on). Off: each node limits and paces alone, as before issue 16.
    /// </summary>
    public bool InDatabase { get; set; } = true;
    /// <summary>
    /// How many nodes send. While the shared store (Redis or the database) is unreachable each node paces SMS and
    /// e-mail at 1/Nodes of the configured rate, so together they still keep to it (default 1: full rate each).
    /// </summary>
    public int Nodes { get; set; } = 1;
}
