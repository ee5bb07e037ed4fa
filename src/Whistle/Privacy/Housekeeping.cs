using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Privacy;

/// <summary>
/// The schedule that keeps little: reporters' contacts are wiped when their time is up,
/// an unsubscribed address is wiped a while after its last notice (sent codes are wiped as they are sent),
/// delivery records are deleted some days after their alert expired, and sightings nobody verified in time
/// become "unconfirmed" — the periods being the effective <see cref="Retention"/>. Each pass also reloads the
/// zones when another process imported new ones; handled SMS message ids go after two days and
/// a texting number's conversation state a month after its last text.
/// </summary>
public sealed class Housekeeping(IServiceScopeFactory scopes, TimeProvider time, IOptions<WhistleOptions> options, ILogger<Housekeeping> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        do
        {
            try { await RunOnceAsync(stop); }
            catch (Exception ex) when (!stop.IsCancellationRequested) { log.LogError(ex, "Housekeeping pass failed"); }
        } while (await timer.WaitForNextTickAsync(stop));
    }

    public static readonly TimeSpan FanoutOrderKept = TimeSpan.FromDays(7);
    /// <summary>How long a report keeps the keyed hash of who sent it (corroboration and the intake budget need hours, not days).</summary>
    public static readonly TimeSpan SourceKept = TimeSpan.FromDays(1);

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var now = time.GetUtcNow();
        var o = options.Value;
        if (await scope.ServiceProvider.GetRequiredService<Geo.ZoneRegistry>().ReloadIfChangedAsync(db, ct))
            log.LogInformation("Zones changed in the database: reloaded");
        var retention = await Retention.EffectiveAsync(db, o.Retention, ct);
        await ReportSealing.SealLegacyAsync(db, ct);

        // A contact goes at the time the reporter was told, or sooner when an admin has since shortened the period.
        var contactKept = now - retention.ReporterContact;
        int contacts = await db.Reports.Where(r => r.ContactCipher != null && (r.ContactPurgeAt <= now || r.ReceivedAt <= contactKept))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.ContactCipher, (byte[]?)null), ct);

        // A report's source hash is needed while its sighting or surge still gathers reports; then it goes.
        var sourceKept = now - SourceKept;
        await db.Reports.Where(r => r.SourceHash != null && r.ReceivedAt <= sourceKept)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.SourceHash, (byte[]?)null), ct);

        // A bystander's submission (issue 15): its contact on the same schedule as a reporter's; the keyed hash of its
        // sender's network once the byte budgets no longer need it (a day), or with the contact, whichever is first.
        contacts += await db.Submissions.Where(s => s.ContactCipher != null && (s.ContactPurgeAt <= now || s.ReceivedAt <= contactKept))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ContactCipher, (byte[]?)null), ct);
        await db.Submissions.Where(s => s.SourceHash != null && (s.ReceivedAt <= sourceKept || s.ContactPurgeAt <= now || s.ReceivedAt <= contactKept))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.SourceHash, (byte[]?)null), ct);

        var (addresses, unconfirmed) = await ForgetSubscribersAsync(db, now, retention.UnsubscribedAddress,
            TimeSpan.FromHours(o.Subscriptions.UnconfirmedHours), ct);
        await CodeLimits.PurgeAsync(db, now, ct);

        var stale = now.AddMinutes(-o.Clustering.ExpireAfterMinutes);
        var expired = await db.Sightings
            .Where(s => (s.State == SightingState.New || s.State == SightingState.Verifying) && s.LastReportAt <= stale)
            .ToListAsync(ct);
        foreach (var s in expired)
            db.SightingTransitions.Add(s.MoveTo(SightingState.Unconfirmed, "system", $"not verified within {o.Clustering.ExpireAfterMinutes} minutes", now));
        await db.SaveChangesAsync(ct);

        // A fan-out's nearest-first order (8 MB for a million recipients) is needed while it sends and for
        // its updates and cancel; a week after the alert expired, with every lane through it, it goes.
        var orderKept = now - FanoutOrderKept;
        int orders = await db.FanoutOrders
            .Where(f => db.Alerts.Any(a => a.Id == f.AlertId && a.ExpiresAt <= orderKept)
                        && !db.Fanouts.Any(x => x.AlertId == f.AlertId && x.Cursor < x.Total))
            .ExecuteDeleteAsync(ct);

        var (deliveries, messages) = await PurgeDeliveryRecordsAsync(db, now - retention.DeliveryRecords, ct);

        // Reports and sightings not in an incident file: coarsened, then deleted (issue 13).
        var (coarsened, deletedReports) = await ReportRetention.RunAsync(db,
            scope.ServiceProvider.GetRequiredService<Geo.ZoneRegistry>().Current, retention, now, ct);

        // Retried webhooks come within minutes; a number's SMS conversation state goes a month after its last text.
        var receiptsBefore = now - Inbound.SmsReceipt.KeptFor;
        await db.SmsReceipts.Where(r => r.ReceivedAt <= receiptsBefore).ExecuteDeleteAsync(ct);
        var idleBefore = now.AddDays(-30);
        await db.SmsConversations.Where(c => c.UpdatedAt <= idleBefore).ExecuteDeleteAsync(ct);

        // Ended staff sessions stay a week (an admin can see what was ended, and when), then go.
        var sessionsBefore = now - Identity.SessionRules.EndedKeptFor;
        await db.StaffSessions.Where(x => x.ExpiresAt <= sessionsBefore || x.RevokedAt <= sessionsBefore).ExecuteDeleteAsync(ct);

        if (coarsened + deletedReports > 0)
            log.LogInformation("Housekeeping: {Coarsened} reports and sightings coarsened, {Deleted} deleted", coarsened, deletedReports);
        if (contacts + addresses + unconfirmed + expired.Count + orders + deliveries + messages > 0)
            log.LogInformation("Housekeeping: {Contacts} contacts purged, {Addresses} addresses purged, {Unconfirmed} unconfirmed sign-ups deleted, " +
                               "{Sightings} sightings expired, {Orders} fan-out orders dropped, {Deliveries} delivery records and {Messages} direct messages deleted",
                contacts, addresses, unconfirmed, expired.Count, orders, deliveries, messages);
    }

    /// <summary>
    /// An unsubscribed address goes <paramref name="addressKept"/> after its last notice, and its blind index with it
    /// (replaced by random bytes, so the row can no longer be found or linked by the address). A sign-up whose code
    /// never came back is deleted after <paramref name="unconfirmedKept"/> with its messages; a once-confirmed address
    /// that asked to come back and never confirmed is unsubscribed again, and its address then goes the same way.
    /// </summary>
    public static async Task<(int Addresses, int Unconfirmed)> ForgetSubscribersAsync(WhistleDb db, DateTimeOffset now,
        TimeSpan addressKept, TimeSpan unconfirmedKept, CancellationToken ct)
    {
        var unconfirmedBefore = now - unconfirmedKept;
        var never = db.Subscribers.Where(s => s.State == SubscriberState.Pending && s.ConfirmedAt == null && s.ChangedAt <= unconfirmedBefore);
        await db.Messages.Where(m => never.Any(s => s.Id == m.SubscriberId)).ExecuteDeleteAsync(ct);
        int unconfirmed = await never.ExecuteDeleteAsync(ct);
        await db.Subscribers.Where(s => s.State == SubscriberState.Pending && s.ConfirmedAt != null && s.ChangedAt <= unconfirmedBefore)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.State, SubscriberState.Unsubscribed).SetProperty(s => s.Pending, (string?)null)
                .SetProperty(s => s.CodeHash, (byte[]?)null), ct);

        var wipeBefore = now - addressKept;
        var wipe = await db.Subscribers.Where(s => s.State == SubscriberState.Unsubscribed && s.AddressCipher != null && s.ChangedAt <= wipeBefore)
            .OrderBy(s => s.Id).Take(PurgeBatch).ToListAsync(ct);
        foreach (var s in wipe)
        {
            s.AddressCipher = null;
            s.SecretCipher = null;
            s.AreaCipher = null; // the circle (usually around home) goes with the address
            s.AddressHash = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        }
        await db.SaveChangesAsync(ct);
        return (wipe.Count, unconfirmed);
    }

    /// <summary>Rows deleted per statement: a million-row alert goes in many short statements, never one long lock.</summary>
    public const int PurgeBatch = 5000;

    /// <summary>
    /// Deletes the delivery rows of alerts that expired before <paramref name="cutoff"/> and whose fan-outs are
    /// through, and direct messages sent (or given up on) before it, in key-ordered batches. The alerts stay.
    /// </summary>
    public static async Task<(int Deliveries, int Messages)> PurgeDeliveryRecordsAsync(WhistleDb db, DateTimeOffset cutoff, CancellationToken ct,
        int batch = PurgeBatch)
    {
        int deliveries = 0, messages = 0;
        var seqs = await db.Alerts
            .Where(a => a.ExpiresAt <= cutoff
                        && !db.Fanouts.Any(f => f.AlertId == a.Id && f.Cursor < f.Total)
                        && db.Deliveries.Any(d => d.AlertSeq == a.Seq))
            .Select(a => a.Seq).ToListAsync(ct);
        foreach (var seq in seqs)
        {
            while (true)
            {
                // The key of the batch's last row, then everything of the alert up to it: a range on the primary key.
                var last = await db.Deliveries.Where(d => d.AlertSeq == seq).OrderBy(d => d.SubscriberId)
                    .Skip(batch - 1).Select(d => (long?)d.SubscriberId).FirstOrDefaultAsync(ct);
                var rows = last is { } bound
                    ? db.Deliveries.Where(d => d.AlertSeq == seq && d.SubscriberId <= bound)
                    : db.Deliveries.Where(d => d.AlertSeq == seq);
                deliveries += await rows.ExecuteDeleteAsync(ct);
                if (last is null) break;
            }
        }
        while (true)
        {
            var old = db.Messages.Where(m => (m.State == DeliveryState.Sent && m.SentAt <= cutoff)
                                             || (m.State == DeliveryState.Dead && m.NextAttemptAt <= cutoff));
            var last = await old.OrderBy(m => m.Id).Skip(batch - 1).Select(m => (long?)m.Id).FirstOrDefaultAsync(ct);
            messages += await (last is { } bound ? old.Where(m => m.Id <= bound) : old).ExecuteDeleteAsync(ct);
            if (last is null) break;
        }
        return (deliveries, messages);
    }
}

public static class HousekeepingSetup
{
    public static WebApplicationBuilder AddHousekeeping(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Housekeeping>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Housekeeping>());
        return builder;
    }
}
