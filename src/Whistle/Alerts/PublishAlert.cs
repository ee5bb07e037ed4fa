using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// Sends an alert: renders it in every language, resolves its recipients from the targeting
/// index (nearest first), and writes the alert and its nearest-first fan-out order in one transaction
/// (the delivery rows are created as the relay claims each slice: <see cref="DeliveryStore"/>).
/// Also sends the updates and cancels that follow it, to exactly the people the original reached.
/// </summary>
public sealed class PublishAlert(
    WhistleDb db, ZoneRegistry zones, SubscriberIndexSync index, DeliverySignal signal, DeliveryRates rates, TimeProvider time,
    Cluster.LiveBus? bus = null, Platform.WhistleMetrics? metrics = null)
{
    /// <param name="messages">The text per language when it is not the templates' (a partner alert relayed in the partner's words).</param>
    /// <param name="approvalAbove">The two-person rule's threshold (<see cref="TwoPerson"/>): above it the alert is stored
    /// awaiting approval, and nothing is delivered until <see cref="ApproveAsync"/>.</param>
    public async Task<Alert> SendAsync(Alert alert, DateTimeOffset observedAt, CancellationToken ct, Dictionary<string, string>? messages = null,
        int? approvalAbove = null)
    {
        alert.Messages = messages ?? await RenderAsync(alert, observedAt, ct);

        var (recipients, _, _) = await RecipientsAsync(alert, ct);
        alert.Recipients = recipients.Length;
        alert.Estimates = rates.Estimate(recipients, alert.Messages);
        alert.AwaitingApproval = TwoPerson.Applies(approvalAbove, alert, recipients.Length);

        await WithNextSeqAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            alert.Seq = await NextSeqAsync(ct);
            // One live alert per sighting. The number is read first, then the check: a sender that read the number
            // before another's commit takes the same number and is refused by the unique index (and comes round
            // again, to find that alert here); one that read it after sees the other's alert. Both providers.
            if (alert.Kind == AlertKind.Alert && alert.SightingId is { } sid
                && await LiveAlertAsync(sid, alert.Drill, alert.SentAt, ct) is { } live)
                throw new ActiveAlertException(live);
            db.Alerts.Add(alert);
            await db.SaveChangesAsync(ct);
            if (!alert.AwaitingApproval)
                await DeliveryStore.EnqueueAsync(db, alert, Delivery.Delivery.PriorityAlert, recipients, alert.SentAt, ct);
            await tx.CommitAsync(ct);
        });
        if (!alert.AwaitingApproval)
        {
            signal.Poke();
            await AnnounceAsync(alert.Id);
            metrics?.AlertSent(alert);
        }
        return alert;
    }

    /// <summary>
    /// Sends an alert that waited for a second dispatcher, to the recipients in its area now; its clock starts now.
    /// The approval is claimed by a conditional update inside the sending transaction: of two approvers at once, one
    /// sends and the other gets false (both providers: the second waits on the row, then finds it taken).
    /// </summary>
    public async Task<bool> ApproveAsync(Alert pending, string approver, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (recipients, _, _) = await RecipientsAsync(pending, ct);
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            if (await db.Alerts.Where(a => a.Id == pending.Id && a.AwaitingApproval && a.CancelledAt == null && a.ExpiresAt > now)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.AwaitingApproval, false)
                        .SetProperty(a => a.ApprovedBy, approver).SetProperty(a => a.ApprovedAt, now), ct) == 0)
                return false;
            pending.ExpiresAt = now + (pending.ExpiresAt - pending.SentAt);
            pending.SentAt = now;
            (pending.AwaitingApproval, pending.ApprovedBy, pending.ApprovedAt) = (false, approver, now);
            pending.Recipients = recipients.Length;
            pending.Estimates = rates.Estimate(recipients, pending.Messages);
            await db.SaveChangesAsync(ct);
            await DeliveryStore.EnqueueAsync(db, pending, Delivery.Delivery.PriorityAlert, recipients, now, ct);
            await tx.CommitAsync(ct);
        }
        signal.Poke();
        // Approval changes no alert number: without this the public feed (which watches the numbers) never showed it.
        await AnnounceAsync(pending.Id);
        metrics?.AlertSent(pending);
        return true;
    }

    /// <summary>The sighting's live alert (the drill's, for a drill), if it has one.</summary>
    public Task<Guid?> LiveAlertAsync(Guid sightingId, bool drill, DateTimeOffset now, CancellationToken ct) =>
        db.Alerts.AsNoTracking()
            .Where(a => a.SightingId == sightingId && a.Kind == AlertKind.Alert && a.Drill == drill && a.CancelledAt == null && a.ExpiresAt > now)
            .OrderBy(a => a.Seq).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(ct);

    /// <summary>How many of the recipients read each language, per channel (what the send dialog shows).</summary>
    public async Task<Dictionary<SubscriberChannel, Dictionary<string, int>>> LanguagesAsync(Recipient[] recipients, CancellationToken ct)
    {
        var result = new Dictionary<SubscriberChannel, Dictionary<string, int>>();
        foreach (var chunk in recipients.Select(r => r.SubscriberId).Chunk(5000))
        {
            var counts = await db.Subscribers.AsNoTracking().Where(x => chunk.Contains(x.Id))
                .GroupBy(x => new { x.Channel, x.Language }).Select(g => new { g.Key.Channel, g.Key.Language, Count = g.Count() })
                .ToListAsync(ct);
            foreach (var c in counts)
            {
                var byLanguage = result.TryGetValue(c.Channel, out var d) ? d : result[c.Channel] = [];
                byLanguage[c.Language] = byLanguage.GetValueOrDefault(c.Language) + c.Count;
            }
        }
        return result;
    }

    /// <summary>How many people an update or cancel of <paramref name="original"/> would reach now (see <see cref="FollowUpAsync"/>).</summary>
    public Task<int> ReachedAsync(Alert original, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return db.Deliveries.AsNoTracking()
            .Where(d => d.AlertSeq == original.Seq && (d.State == DeliveryState.Sent
                || ((d.State == DeliveryState.Pending || d.State == DeliveryState.Failed) && d.LeaseUntil >= now)))
            .Select(d => d.SubscriberId).Distinct().CountAsync(ct);
    }

    /// <summary>Who the alert would reach, nearest first, and its text in each language; nothing is written.</summary>
    public async Task<(Recipient[] Recipients, Dictionary<string, string> Messages, int Staff, int OptedIn)> PreviewAsync(Alert alert, DateTimeOffset observedAt, CancellationToken ct)
    {
        var messages = await RenderAsync(alert, observedAt, ct);
        var (recipients, staff, optedIn) = await RecipientsAsync(alert, ct);
        return (recipients, messages, staff, optedIn);
    }

    /// <summary>
    /// Everyone in the alert's area, nearest first; for a drill to the test audience only those of them who opted
    /// into drills, and the staff who have a contact address (<see cref="DrillAudience.Select"/>).
    /// </summary>
    private async Task<(Recipient[] Recipients, int Staff, int OptedIn)> RecipientsAsync(Alert alert, CancellationToken ct)
    {
        await index.CatchUpAsync(db, ct);
        var inArea = index.Index.Resolve(alert.Area, new GeoPoint(alert.OriginLat, alert.OriginLon), zones.Current);
        if (!alert.Drill || alert.Audience == AlertAudience.Public) return (inArea, 0, inArea.Length);
        var optedIn = (await db.Subscribers.AsNoTracking()
            .Where(s => s.Drills && s.State == SubscriberState.Confirmed).Select(s => s.Id).ToListAsync(ct)).ToHashSet();
        var contacts = await db.Users.AsNoTracking().Where(u => u.ContactSubscriberId != null).Select(u => u.ContactSubscriberId!.Value).ToListAsync(ct);
        var staff = (await db.Subscribers.AsNoTracking()
                .Where(s => contacts.Contains(s.Id) && s.State == SubscriberState.Confirmed).Select(s => new { s.Id, s.Channel }).ToListAsync(ct))
            .OrderBy(s => s.Id).Select(s => (s.Id, s.Channel)).ToList();
        var recipients = DrillAudience.Select(inArea, optedIn, staff, out int staffCount, out int subscribers);
        return (recipients, staffCount, subscribers);
    }

    /// <summary>
    /// An update or cancel of <paramref name="original"/>, to everyone it reached or may be reaching
    /// right now (a delivery under lease). A cancel also stops what the original has not yet sent.
    /// </summary>
    /// <param name="overridden">The dispatcher's recorded "send anyway" for words that looked like they identify an officer.</param>
    public async Task<Alert> FollowUpAsync(Alert original, AlertKind kind, CancelReason? reason, string actor, CancellationToken ct,
        (string Findings, string Reason)? overridden = null)
    {
        var now = time.GetUtcNow();
        var follow = new Alert
        {
            Kind = kind,
            ReferencesId = original.Id,
            SightingId = original.SightingId,
            Drill = original.Drill,
            Audience = original.Audience,
            AudienceReason = original.AudienceReason,
            Activity = original.Activity,
            Place = original.Place,
            CircleLat = original.CircleLat,
            CircleLon = original.CircleLon,
            CircleRadiusMeters = original.CircleRadiusMeters,
            Zones = original.Zones,
            OriginLat = original.OriginLat,
            OriginLon = original.OriginLon,
            CancelReason = reason,
            SentAt = now,
            ExpiresAt = kind == AlertKind.Cancel ? now : original.ExpiresAt,
            SentBy = actor,
            OverrideFindings = overridden?.Findings,
            OverrideReason = overridden?.Reason,
        };
        follow.Messages = await RenderAsync(follow, original.SentAt, ct);
        int priority = kind == AlertKind.Cancel ? Delivery.Delivery.PriorityCancel : Delivery.Delivery.PriorityAlert;

        await WithNextSeqAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (kind == AlertKind.Cancel)
            {
                // Claimed in the database, not only in memory: of two cancels at once, the second finds it taken.
                if (await db.Alerts.Where(a => a.Id == original.Id && a.CancelledAt == null)
                        .ExecuteUpdateAsync(u => u.SetProperty(a => a.CancelledAt, now), ct) == 0)
                    throw new AlreadyCancelledException();
                original.CancelledAt = now;
                // The rest of the order will not go out: its delivery rows are never created. Stopping the cursors
                // first waits for a lane's claim in progress (it holds the fan-out row), so the slice it created is
                // seen below as in flight and hears the cancel.
                await db.Fanouts.Where(f => f.AlertId == original.Id).ExecuteUpdateAsync(u => u.SetProperty(f => f.Cursor, f => f.Total), ct);
            }
            // Who got the original, or may be getting it right now (under lease), in its nearest-first order. Delivery
            // rows exist only for recipients a lane has claimed, so this is exactly those reached or in flight.
            var reached = (await db.Deliveries.AsNoTracking()
                .Where(d => d.AlertSeq == original.Seq && (d.State == DeliveryState.Sent
                    || ((d.State == DeliveryState.Pending || d.State == DeliveryState.Failed) && d.LeaseUntil >= now)))
                .Select(d => d.SubscriberId).ToListAsync(ct)).ToHashSet();
            var orders = await db.FanoutOrders.AsNoTracking().Where(f => f.AlertId == original.Id)
                .Select(f => new { f.Channel, f.Recipients }).ToListAsync(ct);
            var recipients = orders.SelectMany(o => DeliveryStore.Order(o.Recipients).Where(reached.Contains)
                .Select(id => new Recipient(id, 0, o.Channel))).ToList();
            if (kind == AlertKind.Cancel)
            {
                // Claimed rows not in flight (a retry waiting) will not go out either.
                await db.Deliveries.Where(d => d.AlertSeq == original.Seq
                        && (d.State == DeliveryState.Pending || d.State == DeliveryState.Failed)
                        && (d.LeaseUntil == null || d.LeaseUntil < now))
                    .ExecuteUpdateAsync(u => u.SetProperty(d => d.State, DeliveryState.Dead).SetProperty(d => d.LastError, "superseded by cancel"), ct);
            }
            follow.Recipients = recipients.Count;
            follow.Estimates = rates.Estimate(recipients, follow.Messages);
            follow.Seq = await NextSeqAsync(ct);
            db.Alerts.Add(follow);
            await db.SaveChangesAsync(ct);
            await DeliveryStore.EnqueueAsync(db, follow, priority, recipients, now, ct);
            await tx.CommitAsync(ct);
        });
        signal.Poke();
        await AnnounceAsync(follow.Id);
        metrics?.AlertSent(follow);
        return follow;
    }

    /// <summary>Tells every node's public feed (the live bus) that an alert changed, after its commit.</summary>
    private Task AnnounceAsync(Guid id) => bus?.PublishAsync(Cluster.LiveBus.Topics.AlertsChanged, id.ToString()) ?? Task.CompletedTask;

    /// <summary>
    /// Runs a sending transaction; when another sender took the same alert number at the same moment
    /// (the unique index refuses the second), it runs again with the next one.
    /// </summary>
    private async Task WithNextSeqAsync(Func<Task> send)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await send();
                return;
            }
            catch (DbUpdateException) when (attempt < 25)
            {
                // Each round one of the racing senders wins; the others step back a little, at random.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25 * attempt)));
            }
        }
    }

    /// <summary>The next alert number, read inside the sending transaction (the unique index refuses a race).</summary>
    private async Task<long> NextSeqAsync(CancellationToken ct) => (await db.Alerts.MaxAsync(a => (long?)a.Seq, ct) ?? 0) + 1;

    private async Task<Dictionary<string, string>> RenderAsync(Alert alert, DateTimeOffset observedAt, CancellationToken ct)
    {
        var templates = TemplateSet.From(await db.Templates.AsNoTracking().ToListAsync(ct));
        return templates.Render(alert, observedAt, await Network.NetworkLookup.TimeZoneAsync(db, ct));
    }
}

public static class AlertsSetup
{
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<PublishAlert>();
        // SignalR itself (its JSON, its Redis backplane) is added in one place: Cluster/LiveWiring.cs AddLiveBus.
        builder.Services.AddSingleton<AlertWatchers>();
        builder.Services.AddHostedService<ProgressBroadcaster>();
        builder.Services.AddSingleton<PublicAlertsFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PublicAlertsFeed>());
        return builder;
    }

    /// <summary>Live progress for the console: SignalR at /hubs/alerts.</summary>
    public static WebApplication MapAlertsHub(this WebApplication app)
    {
        app.MapHub<AlertsHub>(AlertsHub.Path);
        return app;
    }
}
