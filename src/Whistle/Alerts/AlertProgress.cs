using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>How far one channel has got with an alert.</summary>
/// <param name="Pending">Not yet handed over (including those being sent right now).</param>
/// <param name="Failed">Tried and failing, waiting for a retry.</param>
/// <param name="Delivered">Sent and confirmed by the provider (SMS status callbacks).</param>
/// <param name="EstimatedSeconds">The estimate made when the alert was sent, at the configured rate.</param>
/// <param name="EstimatedDoneAt">When the rest should be handed over at the configured rate; null when done.</param>
/// <param name="Lagging">More than a minute behind the estimate and not done.</param>
public sealed record ChannelProgress(int Recipients, int Pending, int Sent, int Failed, int Dead, int Delivered,
    double EstimatedSeconds, DateTimeOffset? EstimatedDoneAt, bool Lagging);

/// <param name="FirstThousandAt">When the nearest 1,000 recipients (or all, if fewer) had been handed to providers.</param>
public sealed record AlertProgress(Guid AlertId, int Recipients, DeliveryCounts Deliveries,
    Dictionary<string, ChannelProgress> Channels, DateTimeOffset? FirstThousandAt, double? FirstThousandSeconds,
    DateTimeOffset? EstimatedDoneAt, bool Lagging, bool Done)
{
    /// <summary>A channel this far behind its estimate is flagged.</summary>
    public static readonly TimeSpan LagThreshold = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Counts the alert's delivery rows in one pass (by channel, state and provider confirmation), plus, per channel,
    /// the recipients whose rows a lane has not created yet (<see cref="Fanout.Total"/> less the rows): pending while
    /// the fan-out goes on; once the alert is cancelled they will never go out, and count as dead — as the rows a
    /// cancel stops do.
    /// </summary>
    public static async Task<AlertProgress> OfAsync(WhistleDb db, Alert alert, DeliveryRates rates, DateTimeOffset now, CancellationToken ct,
        Platform.WhistleMetrics? metrics = null)
    {
        var rows = await db.Deliveries.Where(d => d.AlertSeq == alert.Seq)
            .GroupBy(d => new { d.Channel, d.State, Delivered = d.ProviderStatus == "delivered" })
            .Select(g => new { g.Key.Channel, g.Key.State, g.Key.Delivered, Count = g.Count() }).ToListAsync(ct);
        var fanouts = await db.Fanouts.AsNoTracking().Where(f => f.AlertId == alert.Id)
            .Select(f => new { f.Channel, f.Total }).ToListAsync(ct);
        var counts = rows.ToList();
        foreach (var fanout in fanouts)
        {
            int created = rows.Where(r => r.Channel == fanout.Channel).Sum(r => r.Count);
            if (fanout.Total > created)
                counts.Add(new { fanout.Channel, State = alert.CancelledAt is null ? DeliveryState.Pending : DeliveryState.Dead,
                    Delivered = false, Count = fanout.Total - created });
        }
        int C(DeliveryState s, SubscriberChannel? c = null) => counts.Where(x => x.State == s && (c is null || x.Channel == c)).Sum(x => x.Count);

        var channels = new Dictionary<string, ChannelProgress>();
        foreach (var channel in counts.Select(c => c.Channel).Distinct().Order())
        {
            string name = Names.Of(channel);
            int left = C(DeliveryState.Pending, channel) + C(DeliveryState.Failed, channel);
            double estimate = alert.Estimates.GetValueOrDefault(name);
            bool lagging = left > 0 && now - alert.SentAt > TimeSpan.FromSeconds(estimate) + LagThreshold;
            channels[name] = new ChannelProgress(counts.Where(c => c.Channel == channel).Sum(c => c.Count),
                C(DeliveryState.Pending, channel), C(DeliveryState.Sent, channel), C(DeliveryState.Failed, channel),
                C(DeliveryState.Dead, channel), counts.Where(c => c.Channel == channel && c.Delivered).Sum(c => c.Count),
                estimate, left == 0 ? null : now + TimeSpan.FromSeconds(left / rates.PacedPerSecond(channel)), lagging);
        }

        var firstThousand = alert.FirstThousandAt ?? await FirstThousandAsync(db, alert, C(DeliveryState.Sent), metrics, ct);
        var totals = new DeliveryCounts(C(DeliveryState.Pending), C(DeliveryState.Sent), C(DeliveryState.Failed), C(DeliveryState.Dead),
            counts.Where(c => c.Delivered).Sum(c => c.Count));
        return new AlertProgress(alert.Id, alert.Recipients, totals, channels, firstThousand,
            firstThousand is { } f ? Math.Round((f - alert.SentAt).TotalSeconds, 3) : null,
            channels.Values.Max(c => c.EstimatedDoneAt), channels.Values.Any(c => c.Lagging),
            totals.Pending + totals.Failed == 0);
    }

    /// <summary>
    /// The moment the 1,000th recipient (or the last, if fewer) was handed over: recorded on the alert
    /// the first time it is known, so the sort over its rows happens once. The relay records it too, as it hands the
    /// 1,000th over; whichever writes it first (a conditional update) feeds whistle_alert_first_thousand_seconds.
    /// </summary>
    private static async Task<DateTimeOffset?> FirstThousandAsync(WhistleDb db, Alert alert, int sent, Platform.WhistleMetrics? metrics, CancellationToken ct)
    {
        int n = Math.Min(1000, alert.Recipients);
        if (n == 0 || sent < n) return null;
        var at = await db.Deliveries.Where(d => d.AlertSeq == alert.Seq && d.State == DeliveryState.Sent)
            .OrderBy(d => d.SentAt).Skip(n - 1).Select(d => d.SentAt).FirstOrDefaultAsync(ct);
        if (at is not null
            && await db.Alerts.Where(a => a.Id == alert.Id && a.FirstThousandAt == null).ExecuteUpdateAsync(u => u.SetProperty(a => a.FirstThousandAt, at), ct) == 1)
            metrics?.FirstThousand(at.Value - alert.SentAt);
        return at;
    }
}
