using System.Collections.Concurrent;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;

namespace Whistle.Federation;

/// <summary>
/// Follows the partners' CAP Atom feeds: each on its own schedule (<c>PollSeconds</c>), conditionally
/// (If-None-Match / If-Modified-Since; a 304 changes nothing), each in its own scope so one partner's
/// failure never stops another. A refused feed or entry is logged with the partner and the reason (never
/// the content) and recorded in the partner's status; it changes no partner alert.
/// </summary>
public sealed class FederationPoller(
    IServiceScopeFactory scopes, TimeProvider time, IOptions<WhistleOptions> options, ILogger<FederationPoller> log) : BackgroundService
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _due = new();

    private FederationOptions O => options.Value.Federation;

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (!O.Enabled || O.Partners.Count == 0) return;
        while (!stop.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var due = O.Partners.Where(p => p.Enabled && _due.GetValueOrDefault(p.Name) <= now).ToList();
            foreach (var p in due) _due[p.Name] = now.AddSeconds(Math.Max(1, p.PollSeconds));
            if (due.Count > 0) await Task.WhenAll(due.Select(p => PollAsync(p, stop)));
            await Task.Delay(TimeSpan.FromSeconds(1), time, stop);
        }
    }

    /// <summary>Polls every partner now, all at once; returns when each is done (for tests, and a lead's "follow now").</summary>
    public Task RunOnceAsync(CancellationToken ct) => Task.WhenAll(O.Partners.Where(p => p.Enabled).Select(p => PollAsync(p, ct)));

    private async Task PollAsync(PartnerOptions partner, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(partner.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
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
                var imported = await FollowAsync(scope.ServiceProvider, db, partner, status, errors, ct);
                status.Imported += imported;
            }
            catch (FeedRejected r) { errors.Add(r.Reason); }
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
            gate.Release();
        }
    }

    /// <summary>Fetches and applies one feed; entry-level refusals go to <paramref name="errors"/>, the rest is imported.</summary>
    private async Task<int> FollowAsync(IServiceProvider services, WhistleDb db, PartnerOptions partner, FederationPartner status,
        List<string> errors, CancellationToken ct)
    {
        var o = O;
        var fetcher = services.GetRequiredService<FeedFetcher>();
        var publish = services.GetRequiredService<PublishAlert>();
        if (!Uri.TryCreate(partner.FeedUrl, UriKind.Absolute, out var feedUri)) throw new FeedRejected("FeedUrl is not an absolute URL");

        var fetched = await fetcher.GetAsync(feedUri, status.ETag, status.LastModified, ct);
        if (fetched.NotModified)
        {
            status.NotModifiedCount++;
            return 0;
        }
        var entries = AtomFeed.Entries(AtomFeed.Load(fetched.Body, o.MaxFeedBytes), fetched.FinalUri);
        var now = time.GetUtcNow();
        var messages = new List<CapMessage>();
        foreach (var entry in entries.Take(o.MaxEntries))
        {
            try
            {
                XElement? cap = entry.Embedded;
                if (cap is null)
                {
                    if (entry.Link is null) throw new FeedRejected("neither embedded CAP nor an application/cap+xml link");
                    // By the convention the entry id is the CAP identifier: a message already held is not fetched again.
                    if (entry.Id is not null && await db.PartnerAlerts.AnyAsync(a => a.Partner == partner.Name && a.Identifier == entry.Id, ct))
                        continue;
                    var capDoc = await fetcher.GetAsync(entry.Link, null, null, ct);
                    cap = AtomFeed.Load(capDoc.Body, o.MaxFeedBytes).Root!;
                }
                messages.Add(Cap.Parse(cap, now));
            }
            catch (FeedRejected r) { errors.Add($"entry {entry.Index}: {r.Reason}"); }
        }

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
