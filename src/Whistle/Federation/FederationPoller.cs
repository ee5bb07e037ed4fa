using System.Collections.Concurrent;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;

namespace Whistle.Federation;

/// <summary>What the poller knows of a partner's recent polls (since this server started): which partner is slow.</summary>
public sealed record PollStats(DateTimeOffset? PollingSince, double? LastPollSeconds, bool LastBudgetRanOut, int BudgetRanOutCount, int Timeouts);

/// <summary>
/// Follows the partners' CAP Atom feeds: each partner in its own loop on its own schedule (<c>PollSeconds</c>), so a
/// slow or dead partner delays only itself; conditionally (If-None-Match / If-Modified-Since; a 304 changes nothing);
/// each poll within a time budget (<c>PollBudgetSeconds</c>) and a byte budget (<c>MaxPollBytes</c>), its CAP links
/// fetched a few at a time (<c>MaxParallelFetches</c>). Links not fetched within a budget are left for the next poll
/// (the feed's validators are not kept, so the feed is read again). A refused feed or entry is logged with the partner
/// and the reason (never the content) and recorded in the partner's status; it changes no partner alert.
/// </summary>
public sealed class FederationPoller(
    IServiceScopeFactory scopes, TimeProvider time, IOptions<WhistleOptions> options, Platform.WhistleMetrics metrics,
    ILogger<FederationPoller> log) : BackgroundService
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();
    private readonly ConcurrentDictionary<string, PollStats> _stats = new();

    private FederationOptions O => options.Value.Federation;

    /// <summary>The partner's poll figures (none yet: all empty).</summary>
    public PollStats Stats(string partner) => _stats.GetValueOrDefault(partner) ?? new PollStats(null, null, false, 0, 0);

    protected override Task ExecuteAsync(CancellationToken stop)
    {
        if (!O.Enabled || O.Partners.Count == 0) return Task.CompletedTask;
        return Task.WhenAll(O.Partners.Where(p => p.Enabled).Select(p => Task.Run(() => LoopAsync(p, stop), stop)));
    }

    /// <summary>One partner's own loop: poll, wait its interval, again. Nothing another partner does reaches it.</summary>
    private async Task LoopAsync(PartnerOptions partner, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PollAsync(partner, stop);
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, partner.PollSeconds)), time, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
        }
    }

    /// <summary>Polls every partner now, all at once; returns when each is done (for tests, and a lead's "follow now").</summary>
    public Task RunOnceAsync(CancellationToken ct) => Task.WhenAll(O.Partners.Where(p => p.Enabled).Select(p => PollAsync(p, ct)));

    /// <summary>One poll's limits and what happened to them; shared by the parallel link fetches.</summary>
    private sealed class Run(CancellationToken budget, long bytes)
    {
        public CancellationToken Budget { get; } = budget;
        public ByteBudget Bytes { get; } = new(bytes);
        public int Timeouts;
        public int LeftOver;
        public volatile bool TimeRanOut;
        public bool RanOut => TimeRanOut || Bytes.Spent;
    }

    private async Task PollAsync(PartnerOptions partner, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(partner.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        long started = time.GetTimestamp();
        var before = Stats(partner.Name);
        _stats[partner.Name] = before with { PollingSince = time.GetUtcNow() };
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Clamp(O.PollBudgetSeconds, 1, 86_400)), time);
        using var fetchToken = CancellationTokenSource.CreateLinkedTokenSource(ct, budget.Token);
        var run = new Run(fetchToken.Token, O.MaxPollBytes);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var status = await db.FederationPartners.FirstOrDefaultAsync(s => s.Name == partner.Name, ct);
            if (status is null) db.FederationPartners.Add(status = new FederationPartner { Name = partner.Name, FeedUrl = partner.FeedUrl });
            if (status.FeedUrl != partner.FeedUrl) (status.FeedUrl, status.ETag, status.LastModified) = (partner.FeedUrl, null, null);
            var now = time.GetUtcNow();
            status.LastPollAt = now;
            var errors = new List<string>();
            try
            {
                var imported = await FollowAsync(scope.ServiceProvider, db, partner, status, errors, run, ct);
                status.Imported += imported;
            }
            catch (FeedRejected r) { errors.Add(r.Reason); }
            catch (FetchFailed f)
            {
                if (f.Failure == FetchFailure.TimedOut) Interlocked.Increment(ref run.Timeouts);
                if (f.Failure == FetchFailure.OverBudget) errors.Add($"the poll's byte budget ({O.MaxPollBytes} bytes) is spent");
                else errors.Add(f.Message);
            }
            catch (Exception) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                run.TimeRanOut = true;
                errors.Add($"the poll's time budget ({O.PollBudgetSeconds} s) ran out");
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                errors.Add($"internal error ({e.GetType().Name})");
                log.LogError(e, "Federation: partner {Partner}: internal error", partner.Name);
                db.ChangeTracker.Clear();
                var saved = await db.FederationPartners.FirstOrDefaultAsync(s => s.Name == partner.Name, ct);
                if (saved is null) db.FederationPartners.Add(status);
                else status = saved;
            }
            foreach (var reason in errors) log.LogWarning("Federation: partner {Partner} refused: {Reason}", partner.Name, reason);
            metrics.FeedPolled(errors.Count == 0);
            if (errors.Count == 0)
            {
                status.LastSuccessAt = now;
                status.ConsecutiveErrors = 0;
            }
            else
            {
                status.LastErrorAt = now;
                status.LastError = errors.Count == 1 ? errors[0] : $"{errors[0]} (and {errors.Count - 1} more)";
                status.ErrorCount++;
                status.ConsecutiveErrors++;
            }
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogError(e, "Federation: partner {Partner}: could not record the poll", partner.Name);
        }
        finally
        {
            _stats[partner.Name] = new PollStats(null, time.GetElapsedTime(started).TotalSeconds, run.RanOut,
                before.BudgetRanOutCount + (run.RanOut ? 1 : 0), before.Timeouts + run.Timeouts);
            gate.Release();
        }
    }

    /// <summary>Fetches and applies one feed; entry-level refusals go to <paramref name="errors"/>, the rest is imported.</summary>
    private async Task<int> FollowAsync(IServiceProvider services, WhistleDb db, PartnerOptions partner, FederationPartner status,
        List<string> errors, Run run, CancellationToken ct)
    {
        var o = O;
        var fetcher = services.GetRequiredService<FeedFetcher>();
        var publish = services.GetRequiredService<PublishAlert>();
        if (!Uri.TryCreate(partner.FeedUrl, UriKind.Absolute, out var feedUri)) throw new FeedRejected("FeedUrl is not an absolute URL");

        var fetched = await fetcher.GetAsync(feedUri, status.ETag, status.LastModified, run.Budget, partner.AllowPrivateNetwork, o.MaxFeedBytes, run.Bytes);
        if (fetched.NotModified)
        {
            status.NotModifiedCount++;
            return 0;
        }
        var entries = AtomFeed.Entries(AtomFeed.Load(fetched.Body, o.MaxFeedBytes), fetched.FinalUri).Take(o.MaxEntries).ToList();
        var now = time.GetUtcNow();
        var caps = new XElement?[entries.Count];
        var refused = new string?[entries.Count];
        var links = new List<int>();
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Embedded is { } embedded) caps[i] = embedded;
            else if (entry.Link is null) refused[i] = $"entry {entry.Index}: neither embedded CAP nor an application/cap+xml link";
            // By the convention the entry id is the CAP identifier: a message already held is not fetched again.
            else if (entry.Id is null || !await db.PartnerAlerts.AnyAsync(a => a.Partner == partner.Name && a.Identifier == entry.Id, ct))
                links.Add(i);
        }

        // The links, a few at a time, each within the request timeout, all within the poll's time and byte budgets:
        // what is not fetched when a budget runs out waits for the next poll.
        await Parallel.ForEachAsync(links, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, o.MaxParallelFetches), CancellationToken = ct },
            async (i, _) =>
            {
                if (run.RanOut || run.Budget.IsCancellationRequested)
                {
                    Interlocked.Increment(ref run.LeftOver);
                    return;
                }
                try
                {
                    var doc = await fetcher.GetAsync(entries[i].Link!, null, null, run.Budget, partner.AllowPrivateNetwork, o.MaxMessageBytes, run.Bytes);
                    caps[i] = AtomFeed.Load(doc.Body, o.MaxMessageBytes).Root!;
                }
                catch (FetchFailed f) when (f.Failure == FetchFailure.OverBudget) { Interlocked.Increment(ref run.LeftOver); }
                catch (FetchFailed f)
                {
                    if (f.Failure == FetchFailure.TimedOut) Interlocked.Increment(ref run.Timeouts);
                    refused[i] = $"entry {entries[i].Index}: {f.Message}";
                }
                catch (FeedRejected r) { refused[i] = $"entry {entries[i].Index}: {r.Reason}"; }
                catch (Exception) when (run.Budget.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    // Cut off by the poll's time budget (however the cut surfaced: a cancel, or a broken read).
                    run.TimeRanOut = true;
                    Interlocked.Increment(ref run.LeftOver);
                }
            });
        if (run.Budget.IsCancellationRequested && !ct.IsCancellationRequested && run.LeftOver > 0) run.TimeRanOut = true;

        var messages = new List<CapMessage>();
        for (int i = 0; i < entries.Count; i++)
        {
            if (refused[i] is { } reason) { errors.Add(reason); continue; }
            if (caps[i] is not { } cap) continue;
            try { messages.Add(Cap.Parse(cap, now)); }
            catch (FeedRejected r) { errors.Add($"entry {entries[i].Index}: {r.Reason}"); }
        }
        if (run.LeftOver > 0)
            errors.Add(run.TimeRanOut
                ? $"the poll's time budget ({o.PollBudgetSeconds} s) ran out: {run.LeftOver} link(s) left for the next poll"
                : $"the poll's byte budget ({o.MaxPollBytes} bytes) is spent: {run.LeftOver} link(s) left for the next poll");

        int imported = 0;
        // Oldest first, so an alert is in before the update or cancel that references it.
        foreach (var m in messages.OrderBy(m => m.Sent))
        {
            try
            {
                if (await FederationImport.ApplyAsync(db, publish, partner, m, now, o, ct) == FederationImport.Outcome.Imported)
                    imported++;
            }
            catch (FeedRejected r) { errors.Add($"message {Cap.Short(m.Identifier)}: {r.Reason}"); }
        }
        // The validators are kept only when everything was taken: otherwise the next poll reads the feed again.
        if (errors.Count == 0) (status.ETag, status.LastModified) = (fetched.ETag, fetched.LastModified);
        if (imported > 0) log.LogInformation("Federation: partner {Partner}: {Count} message(s) imported", partner.Name, imported);
        return imported;
    }
}
