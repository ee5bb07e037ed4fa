using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Platform;
using Whistle.Privacy;

namespace Whistle.Submissions;

/// <summary>
/// The upload byte budgets: how many bytes one source (a keyed hash of its network prefix) may send a day, and the
/// whole public a rolling hour. Past either, PATCH and creation answer 429 with Retry-After; the bytes already in
/// stay, and the page resumes later. With several nodes (Redis, or PostgreSQL: <see cref="Cluster.SharedLimits"/>)
/// the counts live in the shared store, so N nodes take one budget, not N (decision 0046); the store sees only the
/// keyed hash. One node, or the store unreachable: counted in this process's memory (a restart forgives the counts).
/// </summary>
public sealed class UploadBudget(TimeProvider time, Cluster.SharedLimits shared)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Start, long Bytes)> _sources = new(StringComparer.Ordinal);
    private (DateTimeOffset Start, long Bytes) _network;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1), Hour = TimeSpan.FromHours(1);
    private const string NetworkName = "upload:network", SourcePrefix = "upload:source:";

    public string SourceOf(HttpContext http, KeyRing keys) => CustodyChain.Hex(keys.Hash("upload.source:" + ClientSource.Prefix(http)));

    /// <summary>How long until this source may send again; null when it may now.</summary>
    public async Task<TimeSpan?> RetryAfterAsync(string source, SubmissionOptions o, CancellationToken ct = default)
    {
        if (shared.Shared && shared.Available)
        {
            try
            {
                var network = await shared.PeekAsync(NetworkName, ct);
                if (network.Count >= o.NetworkBytesPerHour) return Positive(network.Remaining);
                var mine = await shared.PeekAsync(SourcePrefix + source, ct);
                if (mine.Count >= o.SourceBytesPerDay) return Positive(mine.Remaining);
                return null;
            }
            catch (Cluster.SharedLimitsUnavailableException) { } // this node's own counts
        }
        return RetryAfterHere(source, o);
    }

    private static TimeSpan Positive(TimeSpan t) => t > TimeSpan.FromSeconds(1) ? t : TimeSpan.FromSeconds(1);

    private TimeSpan? RetryAfterHere(string source, SubmissionOptions o)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_network.Start + Hour <= now) _network = (now, 0);
            if (_network.Bytes >= o.NetworkBytesPerHour) return _network.Start + Hour - now;
            if (_sources.TryGetValue(source, out var s))
            {
                if (s.Start + Day <= now) _sources.Remove(source);
                else if (s.Bytes >= o.SourceBytesPerDay) return s.Start + Day - now;
            }
            return null;
        }
    }

    /// <summary>Counts bytes that arrived (not cancellable: bytes in are counted, whoever hangs up).</summary>
    public async Task AddAsync(string source, long bytes)
    {
        if (bytes <= 0) return;
        if (shared.Shared && shared.Available)
        {
            try
            {
                await shared.CountAsync(NetworkName, Hour, bytes);
                await shared.CountAsync(SourcePrefix + source, Day, bytes);
                return;
            }
            catch (Cluster.SharedLimitsUnavailableException) { }
        }
        AddHere(source, bytes);
    }

    private void AddHere(string source, long bytes)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_network.Start + Hour <= now) _network = (now, 0);
            _network.Bytes += bytes;
            if (!_sources.TryGetValue(source, out var s) || s.Start + Day <= now) s = (now, 0);
            _sources[source] = (s.Start, s.Bytes + bytes);
            if (_sources.Count > 100_000)
                foreach (var old in _sources.Where(kv => kv.Value.Start + Day <= now).Select(kv => kv.Key).ToList()) _sources.Remove(old);
        }
    }

    public static IResult Problem(HttpContext http, TimeSpan wait)
    {
        http.Response.Headers.RetryAfter = ((long)Math.Ceiling(Math.Max(1, wait.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many uploads right now",
            detail: "The network is taking in a lot right now. What you sent so far is kept; the upload goes on by itself later.");
    }
}

/// <summary>
/// The free-space floor: the data directory's file system must keep <see cref="SubmissionOptions.MinFreeBytes"/> free
/// after every upload still open has arrived (their declared remaining bytes count as already used), or new uploads
/// and bytes are refused with 507. The first refusal logs a warning and turns the "storage" health check degraded,
/// which /healthz and the admin's monitoring show.
/// </summary>
public sealed class StorageFloor(IOptions<WhistleOptions> options, TimeProvider time, ILogger<StorageFloor> log)
{
    private long _lowSince; // unix ms, 0 when not low

    public DateTimeOffset? LowSince => Interlocked.Read(ref _lowSince) is var ms and > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>Bytes free on the data directory's file system.</summary>
    public long FreeBytes()
    {
        var dir = options.Value.DataPath;
        Directory.CreateDirectory(dir);
        return new DriveInfo(dir).AvailableFreeSpace;
    }

    /// <summary>
    /// Whether the data dir's disk, less what open uploads still declare (and <paramref name="extra"/> more a new submission
    /// declares), is below the floor (Whistle:Submissions:MinFreeBytes); the first time it is, the admins are told (log, /healthz).
    /// </summary>
    public async Task<bool> RefusesAsync(WhistleDb db, CancellationToken ct, long extra = 0)
    {
        var floor = options.Value.Submissions.MinFreeBytes;
        var open = await db.SubmissionFiles.Where(f => f.Sha256 == null).SumAsync(f => (long?)(f.Length - f.Offset), ct) ?? 0;
        open += Math.Max(0, extra);
        var free = FreeBytes();
        bool low = free - open < floor;
        if (low)
        {
            if (Interlocked.CompareExchange(ref _lowSince, time.GetUtcNow().ToUnixTimeMilliseconds(), 0) == 0)
                log.LogWarning("Storage low: {Free} MB free, {Open} MB still to arrive, floor {Floor} MB; public uploads are refused until space is freed or Whistle:Submissions:MinFreeBytes lowered",
                    free >> 20, open >> 20, floor >> 20);
        }
        else if (Interlocked.Exchange(ref _lowSince, 0) != 0) log.LogInformation("Storage back above the floor: public uploads are taken again");
        return low;
    }

    public IResult Problem() =>
        TypedResults.Problem(statusCode: StatusCodes.Status507InsufficientStorage, title: "The network's storage is full",
            detail: "The network cannot take more files right now. Keep the file on your phone and try again later.");
}

/// <summary>/healthz: degraded while uploads are refused for lack of space.</summary>
public sealed class StorageHealthCheck(StorageFloor floor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(floor.LowSince is { } since
            ? HealthCheckResult.Degraded($"Storage low since {since:u}: public uploads are refused (Whistle:Submissions:MinFreeBytes).")
            : HealthCheckResult.Healthy());
}

/// <summary>
/// Abandoned uploads go: a file still arriving with no bytes for <see cref="SubmissionOptions.AbandonedHours"/> loses its
/// staged bytes and its row; a submission left with no file is dropped, one whose remaining files all arrived becomes
/// Received. Staging files no row knows are deleted. Every ten minutes.
/// </summary>
public sealed class UploadExpiry(IServiceScopeFactory scopes, UploadStaging staging, TimeProvider time, IOptions<WhistleOptions> options,
    ILogger<UploadExpiry> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10), time);
        do
        {
            try { await RunOnceAsync(stop); }
            catch (Exception ex) when (!stop.IsCancellationRequested) { log.LogError(ex, "Upload expiry pass failed"); }
        } while (await timer.WaitForNextTickAsync(stop));
    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var cutoff = time.GetUtcNow() - TimeSpan.FromHours(Math.Max(0, options.Value.Submissions.AbandonedHours));
        var staged = staging.All().ToDictionary(x => x.UploadId, x => x.LastWrite);
        var open = await db.SubmissionFiles.Where(f => f.Sha256 == null).ToListAsync(ct);
        var abandoned = open.Where(f => (staged.TryGetValue(f.UploadId, out var at) ? at : f.CreatedAt) <= cutoff).ToList();
        foreach (var f in abandoned) staging.Delete(f.UploadId);
        var known = open.Select(f => f.UploadId).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, at) in staged)
            if (!known.Contains(id) && at <= cutoff) staging.Delete(id);
        if (abandoned.Count > 0)
        {
            await DropAsync(db, abandoned, time.GetUtcNow(), ct);
            log.LogInformation("Deleted {Count} abandoned uploads", abandoned.Count);
        }
        return abandoned.Count;
    }

    /// <summary>Removes files that will not arrive; a submission left without files is dropped, one whose other files all arrived is Received.</summary>
    public static async Task DropAsync(WhistleDb db, List<SubmissionFile> files, DateTimeOffset now, CancellationToken ct)
    {
        db.SubmissionFiles.RemoveRange(files);
        await db.SaveChangesAsync(ct);
        foreach (var submissionId in files.Select(f => f.SubmissionId).Distinct())
        {
            var submission = await db.Submissions.FirstOrDefaultAsync(s => s.Id == submissionId, ct);
            if (submission is null || submission.State != SubmissionState.Uploading) continue;
            var left = await db.SubmissionFiles.Where(f => f.SubmissionId == submissionId).Select(f => f.Sha256).ToListAsync(ct);
            if (left.Count == 0) db.Submissions.Remove(submission);
            else if (left.All(s => s != null))
            {
                submission.State = SubmissionState.Received;
                submission.CompletedAt = now;
            }
            await db.SaveChangesAsync(ct);
        }
    }
}
