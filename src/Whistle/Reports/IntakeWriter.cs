using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Verification;

namespace Whistle.Reports;

/// <summary>
/// One writer per node files the API's reports in batches (issue 16 §3, decision 0051): each request hands its report
/// over and waits; the writer takes every report waiting (up to <see cref="MaxBatch"/>), files them one after the other
/// in one unit of work (<see cref="IntakeFiling"/>: the same budget, surge and clustering rules as one by one) and commits
/// them in one transaction — a group commit. A report's 201 is sent only after its transaction committed, so nothing
/// answered is lost. One writer also means two reports of the same node can no longer both start a sighting for the same
/// place at the same moment. A batch that fails to commit is filed again report by report, so one bad report fails alone.
/// </summary>
public sealed class IntakeWriter(IServiceScopeFactory scopes, TimeProvider time, IOptions<WhistleOptions> options,
    IHubContext<SightingsHub> hub, ILogger<IntakeWriter> log) : BackgroundService
{
    public const int MaxBatch = 500;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(
        new BoundedChannelOptions(20_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly IntakeCounts _counts = new();

    private sealed record Pending(Report Report, TaskCompletionSource<Filed> Done);

    /// <summary>Files a report (not yet in any context, its source hash set); returns once it is committed.</summary>
    public async Task<Filed> FileAsync(Report report, CancellationToken ct)
    {
        var pending = new Pending(report, new TaskCompletionSource<Filed>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, ct);
        // Once handed over it is filed whatever the caller does: it may already be committing.
        return await pending.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // The consoles are told by a loop of their own (in commit order), so the next batch is filed while this one's
        // pushes go out: sending them in the writer's loop kept every waiting report out of its commit meanwhile.
        var notifier = Task.Run(NotifyLoopAsync, CancellationToken.None);
        try { await WriteLoopAsync(stop); }
        finally
        {
            _told.Writer.TryComplete();
            await notifier;
        }
    }

    private sealed record Told(List<Sighting> Sightings, List<(Surge Surge, bool Tell)> Surges);

    // Committed batches whose pushes are not sent yet; bounded, so consoles that cannot keep up slow the writer down
    // rather than fill the memory.
    private readonly Channel<Told> _told = Channel.CreateBounded<Told>(
        new BoundedChannelOptions(1_000) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private async Task NotifyLoopAsync()
    {
        await foreach (var told in _told.Reader.ReadAllAsync())
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await SightingsHub.NotifyAsync(hub, scope.ServiceProvider.GetRequiredService<WhistleDb>(), told.Sightings);
                foreach (var (surge, tell) in told.Surges)
                    if (tell) await SightingsHub.NotifyAsync(hub, surge, force: true);
            }
            catch (Exception e)
            {
                // A console that missed a push still sees the sighting on its next load.
                log.LogWarning("Telling the consoles about a batch failed ({Error})", e.GetType().Name);
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken stop)
    {
        var batch = new List<Pending>(MaxBatch);
        while (true)
        {
            try
            {
                if (!await _queue.Reader.WaitToReadAsync(stop)) break;
            }
            catch (OperationCanceledException) { break; }
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var p)) batch.Add(p);
            await WriteAsync(batch, CancellationToken.None);
            batch.Clear();
        }
        // Stopping: what was handed over is still filed, so no request waits for nothing.
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var p)) batch.Add(p);
        if (batch.Count > 0) await WriteAsync(batch, CancellationToken.None);
    }

    private async Task WriteAsync(List<Pending> batch, CancellationToken ct)
    {
        Told? told = null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            // On PostgreSQL the batch is filed in one transaction under the intake lock, so another node's writer files
            // before or after it, never beside it (one sighting for one place across nodes).
            await using var tx = db.Database.IsNpgsql() ? await db.Database.BeginTransactionAsync(ct) : null;
            await IntakeLock.TakeAsync(db, ct);
            var now = time.GetUtcNow();
            var window = await _counts.ReadAsync(db, now, ct);
            var filing = new IntakeFiling(db, options.Value, now, window);
            var reports = batch.ConvertAll(p => p.Report);
            await filing.PrepareAsync(reports, ct);
            var filed = new List<Filed>(batch.Count);
            foreach (var r in reports)
            {
                if (r.TrustedReporterId is { } tid && await db.TrustedReporters.FirstOrDefaultAsync(t => t.Id == tid, ct) is { } trusted)
                    trusted.LastReportAt = r.ReceivedAt;
                filed.Add(await filing.FileAsync(r, ct));
            }
            await db.SaveChangesAsync(ct);
            if (tx is not null) await tx.CommitAsync(ct);
            _counts.Committed(reports, now);
            for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(filed[i]);
            // This batch's sightings and surges are not touched again (the next batch reads its own), so the notifier may read them.
            told = new Told(filing.Sightings, filing.Surges.Select(kv => (kv.Key, kv.Value)).ToList());
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // Nothing of it was committed: file each alone, so one report that cannot be stored fails alone.
            log.LogWarning("A batch of {Count} reports failed to commit ({Error}); filing them one by one", batch.Count, e.GetType().Name);
            _counts.Forget();
            foreach (var p in batch)
            {
                p.Report.SightingId = null;
                p.Report.SurgeId = null;
                await WriteAsync([p], ct);
            }
        }
        catch (Exception e)
        {
            _counts.Forget();
            batch[0].Done.TrySetException(e);
        }
        // Outside the try: the batch is committed, nothing here may make it be filed again.
        if (told is not null && !_told.Writer.TryWrite(told))
        {
            try { await _told.Writer.WriteAsync(told, CancellationToken.None); }
            catch (ChannelClosedException) { /* stopping: the consoles see it on their next load */ }
        }
    }
}

/// <summary>
/// The last minute's counts for the intake budget, kept between batches: a full count every <see cref="Recount"/>, and in
/// between only what entered the window since the last read (other nodes' and the SMS dialogue's reports) and what left it,
/// plus this writer's own batches as it commits them. A busy minute is a hundred thousand reports; counting all of them for
/// every batch made intake slower the busier it was. Between two full counts, another node's reports that were received
/// before this node's last read but committed after it are missed (at most <see cref="Recount"/>): the budget is flood
/// control, not a quota.
/// </summary>
public sealed class IntakeCounts
{
    public static readonly TimeSpan Recount = TimeSpan.FromSeconds(2);
    private DateTimeOffset? _readAt;
    private DateTimeOffset _countedAt;
    private int _queued;
    private readonly Dictionary<string, int> _areas = new();

    public async Task<IntakeWindow> ReadAsync(WhistleDb db, DateTimeOffset now, CancellationToken ct)
    {
        var since = now - IntakeBudget.Window;
        if (_readAt is not { } last || now <= last || now - _countedAt >= Recount || now - last >= IntakeBudget.Window)
        {
            _queued = 0;
            _areas.Clear();
            Apply(await CountAsync(db, since, null, ct), +1);
            _countedAt = now;
        }
        else
        {
            Apply(await CountAsync(db, last - IntakeBudget.Window, since, ct), -1);
            Apply(await CountAsync(db, last, now, ct), +1);
        }
        _readAt = now;
        return new IntakeWindow(_queued, new Dictionary<string, int>(_areas));
    }

    /// <summary>This writer's batch committed: its reports count from now on (received before this read, so no later read counts them).</summary>
    public void Committed(IEnumerable<Report> reports, DateTimeOffset readAt)
    {
        var since = readAt - IntakeBudget.Window;
        foreach (var r in reports)
        {
            if (r.ReceivedAt <= since) continue;
            if (r.SurgeId is null) _queued++;
            if (r.Area is { } a) _areas[a] = _areas.GetValueOrDefault(a) + 1;
        }
    }

    /// <summary>After a failed commit: the next read counts in full.</summary>
    public void Forget() => _readAt = null;

    private void Apply(List<(string? Area, bool Queued, int Count)> rows, int sign)
    {
        foreach (var (area, queued, count) in rows)
        {
            if (queued) _queued += sign * count;
            if (area is not null) _areas[area] = _areas.GetValueOrDefault(area) + sign * count;
        }
    }

    /// <summary>Reports received in (from, to] (to: open-ended when null), by area and whether they reached the queue.</summary>
    private static async Task<List<(string? Area, bool Queued, int Count)>> CountAsync(WhistleDb db, DateTimeOffset from, DateTimeOffset? to, CancellationToken ct)
    {
        var q = db.Reports.AsNoTracking().Where(r => r.ReceivedAt > from);
        if (to is { } t) q = q.Where(r => r.ReceivedAt <= t);
        var rows = await q.GroupBy(r => new { r.Area, Queued = r.SurgeId == null })
            .Select(g => new { g.Key.Area, g.Key.Queued, Count = g.Count() }).ToListAsync(ct);
        return rows.ConvertAll(r => (r.Area, r.Queued, r.Count));
    }
}

public static class IntakeWriterSetup
{
    public static WebApplicationBuilder AddIntake(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IntakeWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IntakeWriter>());
        return builder;
    }
}
