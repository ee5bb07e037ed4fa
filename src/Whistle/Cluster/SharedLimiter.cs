using System.Threading.RateLimiting;

namespace Whistle.Cluster;

/// <summary>
/// An ASP.NET rate limiter partition (one client of one policy) whose window lives in <see cref="SharedLimits"/>, so
/// every node counts into one window: N permits a window for the cluster, not N per node. While the store is
/// unreachable it either falls back to this node's own fixed window (fail open to one node's limit — intake,
/// sign-up, submissions) or refuses with 503 and Retry-After (fail closed — login). Decision 0046.
/// </summary>
public sealed class SharedWindowLimiter(SharedLimits store, string name, int permits, TimeSpan window, RateLimiter local, bool failClosed)
    : RateLimiter
{
    /// <summary>Set on a refusal because the shared store is down (the rejection handler answers 503, not 429).</summary>
    public static readonly MetadataName<bool> StoreDown = MetadataName.Create<bool>("whistle.shared-store-down");
    private static readonly TimeSpan DownRetry = TimeSpan.FromSeconds(5);

    private long _lastUsed = Environment.TickCount64;

    public static RateLimitPartition<string> Partition(IServiceProvider services, string policy, string client, int permits, TimeSpan window,
        bool failClosed = false)
    {
        var store = services.GetRequiredService<SharedLimits>();
        permits = Math.Max(1, permits);
        var options = new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 };
        if (!store.Shared) return RateLimitPartition.GetFixedWindowLimiter(client, _ => options);
        return RateLimitPartition.Get(client, c =>
        {
            var local = new FixedWindowRateLimiter(options);
            // The store never sees an address: the client's key is a keyed hash (the key ring's look-up key).
            string hashed;
            try { hashed = Convert.ToHexString(services.GetRequiredService<Privacy.KeyRing>().Hash("limit:" + c), 0, 16); }
            catch (Exception) { return local; } // keys destroyed: this node's limit only
            return new SharedWindowLimiter(store, policy + ":" + hashed, permits, window, local, failClosed);
        });
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            var mine = TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastUsed));
            return local.IdleDuration is { } l ? (l < mine ? l : mine) : null;
        }
    }

    public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Interlocked.Exchange(ref _lastUsed, Environment.TickCount64);
        if (!store.Available) return Fallback(permitCount);
        // Not acquired here: the middleware then asks AcquireAsync, which asks the store without blocking a thread.
        return Lease.Pending;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken ct)
    {
        Interlocked.Exchange(ref _lastUsed, Environment.TickCount64);
        if (!store.Available) return Fallback(permitCount);
        try
        {
            var count = await store.CountAsync(name, window, permitCount, ct);
            return count.Count <= permits ? Lease.Granted : new Lease(false, count.Remaining, false);
        }
        catch (SharedLimitsUnavailableException)
        {
            return Fallback(permitCount);
        }
    }

    private RateLimitLease Fallback(int permitCount) => failClosed ? new Lease(false, DownRetry, true) : local.AttemptAcquire(permitCount);

    protected override void Dispose(bool disposing)
    {
        if (disposing) local.Dispose();
        base.Dispose(disposing);
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter, bool storeDown) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null, false);
        public static readonly Lease Pending = new(false, null, false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames =>
            (retryAfter is null ? [] : new[] { MetadataName.RetryAfter.Name }).Concat(storeDown ? [StoreDown.Name] : []);

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } r && metadataName == MetadataName.RetryAfter.Name)
            {
                // never "Retry-After: 0": a window about to end still asks for a second
                metadata = r < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : r;
                return true;
            }
            if (storeDown && metadataName == StoreDown.Name) { metadata = true; return true; }
            metadata = null;
            return false;
        }
    }
}
