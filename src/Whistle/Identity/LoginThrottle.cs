using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Whistle.Cluster;
using Whistle.Privacy;

namespace Whistle.Identity;

/// <summary>
/// Failed logins slow down whoever fails, never the account everywhere. Two counters: per (e-mail as typed, source
/// network) and per source network alone. A few failures are free; after that each further attempt from the same
/// place must wait twice as long as the last (1 s, 2 s, 4 s … at most <see cref="MaxWait"/>). The owner on another
/// network is untouched by a stranger's failures. Unknown e-mails count exactly like real ones (the key is the
/// e-mail as typed, not the account), so the answers do not tell them apart.
/// With several nodes (Redis, or PostgreSQL: <see cref="SharedLimits"/>) the counters live in the shared store, so N
/// nodes give an attacker the guesses of one, and the owner's state is the same on every node (decision 0046). The
/// store only sees keyed hashes — the key ring's look-up key, the same on every node and never in the store — so no
/// e-mail or address is kept in clear. One node, the store unreachable, or the keys destroyed: in memory, keyed by
/// a hash with a per-process secret, as before.
/// </summary>
public sealed class LoginThrottle(TimeProvider time, SharedLimits shared, KeyRing ring)
{
    public const int FreeFailuresPerAccount = 4;
    public const int FreeFailuresPerSource = 30;
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);
    /// <summary>Failures older than this are forgotten.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(30);

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    private sealed record Entry(int Failures, DateTimeOffset Last);

    /// <summary>How long this attempt must wait before it is even checked; zero: go ahead.</summary>
    public async Task<TimeSpan> WaitForAsync(string email, string source, CancellationToken ct = default)
    {
        if (SharedNames(email, source) is (string account, string network))
        {
            try
            {
                var a = SharedWait(await shared.PeekAsync(account, ct), FreeFailuresPerAccount);
                var s = SharedWait(await shared.PeekAsync(network, ct), FreeFailuresPerSource);
                return a > s ? a : s;
            }
            catch (SharedLimitsUnavailableException) { } // this node's own counts, as on one node
        }
        var now = time.GetUtcNow();
        var la = Wait(Get(AccountKey(email, source), now), FreeFailuresPerAccount, now);
        var ls = Wait(Get(SourceKey(source), now), FreeFailuresPerSource, now);
        return la > ls ? la : ls;
    }

    public async Task FailedAsync(string email, string source, CancellationToken ct = default)
    {
        if (SharedNames(email, source) is (string account, string network))
        {
            try
            {
                await shared.BumpAsync(account, Window, ct);
                await shared.BumpAsync(network, Window, ct);
                return;
            }
            catch (SharedLimitsUnavailableException) { }
        }
        var now = time.GetUtcNow();
        Bump(AccountKey(email, source), now);
        Bump(SourceKey(source), now);
        if (_entries.Count > 50_000) Prune(now);
    }

    /// <summary>The owner got in from here: their own slate here is clean (the source's count stays).</summary>
    public async Task SucceededAsync(string email, string source, CancellationToken ct = default)
    {
        _entries.TryRemove(AccountKey(email, source), out _);
        if (SharedNames(email, source) is (string account, _))
        {
            try { await shared.ForgetAsync(account, ct); }
            catch (SharedLimitsUnavailableException) { }
        }
    }

    /// <summary>
    /// The shared counters' names: keyed hashes under the key ring's look-up key (the same on every node, never in the
    /// store); null when this node counts alone (one node, the store known down, or the keys destroyed).
    /// </summary>
    private (string Account, string Source)? SharedNames(string email, string source)
    {
        if (!shared.Shared || !shared.Available || ring.IsDestroyed) return null;
        try
        {
            return ("login:a:" + Convert.ToHexString(ring.Hash("login.throttle\na\n" + email.Trim().ToUpperInvariant() + "\n" + source), 0, 16),
                    "login:s:" + Convert.ToHexString(ring.Hash("login.throttle\ns\n" + source), 0, 16));
        }
        catch (KeysDestroyedException) { return null; }
    }

    /// <summary>The wait left in a shared window: the store says how long until the window ends, which is a window after the last failure.</summary>
    private static TimeSpan SharedWait(WindowCount w, int free)
    {
        if (w.Count == 0) return TimeSpan.Zero;
        var sinceLast = Window - w.Remaining;
        var left = Delay((int)Math.Min(w.Count, int.MaxValue), free) - sinceLast;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>The wait after n failures, of which `free` cost nothing.</summary>
    public static TimeSpan Delay(int failures, int free)
    {
        if (failures < free) return TimeSpan.Zero;
        var seconds = Math.Pow(2, Math.Min(failures - free, 20));
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxWait.TotalSeconds));
    }

    private static TimeSpan Wait(Entry? e, int free, DateTimeOffset now)
    {
        if (e is null) return TimeSpan.Zero;
        var until = e.Last + Delay(e.Failures, free);
        return until > now ? until - now : TimeSpan.Zero;
    }

    private Entry? Get(string key, DateTimeOffset now) =>
        _entries.TryGetValue(key, out var e) && now - e.Last < Window ? e : null;

    private void Bump(string key, DateTimeOffset now) =>
        _entries.AddOrUpdate(key, _ => new Entry(1, now), (_, e) => now - e.Last < Window ? new Entry(e.Failures + 1, now) : new Entry(1, now));

    private void Prune(DateTimeOffset now)
    {
        foreach (var (k, e) in _entries)
            if (now - e.Last >= Window) _entries.TryRemove(k, out _);
    }

    private string AccountKey(string email, string source) => Key("a\n" + email.Trim().ToUpperInvariant() + "\n" + source);
    private string SourceKey(string source) => Key("s\n" + source);
    private string Key(string value) => Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(value)));
}
