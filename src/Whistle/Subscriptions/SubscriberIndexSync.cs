using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Subscriptions;

/// <summary>
/// Keeps the <see cref="SubscriberIndex"/> in step with the database. Every change to a subscriber
/// bumps its ChangedAt; before each alert is targeted the index re-reads what changed since its
/// last look (with a margin for clock skew between processes and slow transactions), so several
/// Whistle processes over one PostgreSQL database all target the same subscribers.
/// </summary>
public sealed class SubscriberIndexSync(SubscriberIndex index, TimeProvider time)
{
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _watermark;

    public SubscriberIndex Index => index;

    public async Task CatchUpAsync(WhistleDb db, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var started = time.GetUtcNow();
            var query = db.Subscribers.AsNoTracking();
            if (_watermark is { } since)
            {
                var from = since - Margin;
                query = query.Where(s => s.ChangedAt >= from);
            }
            else
            {
                query = query.Where(s => s.State == SubscriberState.Confirmed);
            }
            var rows = query.Select(s => new { s.Id, s.State, s.Channel, s.Zones, s.CircleLat, s.CircleLon, s.CircleRadiusMeters }).AsAsyncEnumerable();
            await foreach (var s in rows.WithCancellation(ct))
            {
                if (s.State == SubscriberState.Confirmed)
                    index.Upsert(new SubscriberArea(s.Id, s.CircleLat, s.CircleLon, s.CircleRadiusMeters, Alerts.Alert.ZoneIds(s.Zones), s.Channel));
                else
                    index.Remove(s.Id);
            }
            _watermark = started;
        }
        finally
        {
            _gate.Release();
        }
    }
}
