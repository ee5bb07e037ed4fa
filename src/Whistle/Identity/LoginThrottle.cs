using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Whistle.Identity;

/// <summary>
/// Failed logins slow down whoever fails, never the account everywhere. Two counters: per (e-mail as typed, source
/// network) and per source network alone. A few failures are free; after that each further attempt from the same
/// place must wait twice as long as the last (1 s, 2 s, 4 s … at most <see cref="MaxWait"/>). The owner on another
/// network is untouched by a stranger's failures. Unknown e-mails count exactly like real ones (the key is the
/// e-mail as typed, not the account), so the answers do not tell them apart. Kept in memory only, keyed by a hash
/// with a per-process secret: no e-mail or address is kept in clear, and nothing reaches the database.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
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
    public TimeSpan WaitFor(string email, string source)
    {
        var now = time.GetUtcNow();
        var a = Wait(Get(AccountKey(email, source), now), FreeFailuresPerAccount, now);
        var s = Wait(Get(SourceKey(source), now), FreeFailuresPerSource, now);
        return a > s ? a : s;
    }

    public void Failed(string email, string source)
    {
        var now = time.GetUtcNow();
        Bump(AccountKey(email, source), now);
        Bump(SourceKey(source), now);
        if (_entries.Count > 50_000) Prune(now);
    }

    /// <summary>The owner got in from here: their own slate here is clean (the source's count stays).</summary>
    public void Succeeded(string email, string source) => _entries.TryRemove(AccountKey(email, source), out _);

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
