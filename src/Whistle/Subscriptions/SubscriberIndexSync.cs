using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Subscriptions;

/// <summary>
/// Keeps the <see cref="SubscriberIndex"/> in step with the database. Every change to a subscriber
/// bumps its ChangedAt; before each alert is targeted the index re-reads what changed since its
/// last look (with a margin for clock skew between processes and slow transactions), so several
/// Whistle processes over one PostgreSQL database all target the same subscribers.
/// </summary>
/// <remarks>
/// Circles are stored sealed (<see cref="SealedCircle"/>): rows are read in batches and each batch's
/// circles are decrypted in parallel before they enter the index. A circle that cannot be opened
/// (keys destroyed, a damaged cipher) leaves that subscriber reachable by zones only, and is logged
/// as a count, never with the subscriber.
/// </remarks>
public sealed class SubscriberIndexSync(SubscriberIndex index, TimeProvider time, KeyRing keys, ILogger<SubscriberIndexSync>? log = null)
{
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);
    private const int Batch = 16_384;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _watermark;

    public SubscriberIndex Index => index;

    private sealed record Row(long Id, SubscriberState State, SubscriberChannel Channel, string Zones, byte[]? AreaCipher);

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
            var rows = query.Select(s => new Row(s.Id, s.State, s.Channel, s.Zones, s.AreaCipher)).AsAsyncEnumerable();
            var batch = new List<Row>(Batch);
            var circles = new SealedCircle?[Batch];
            int unopened = 0;
            void Flush()
            {
                var span = batch;
                if (span.Count > 256)
                    Parallel.For(0, (span.Count + 1023) / 1024, chunk =>
                    {
                        for (int i = chunk * 1024, end = Math.Min(span.Count, i + 1024); i < end; i++) circles[i] = Open(span[i]);
                    });
                else
                    for (int i = 0; i < span.Count; i++) circles[i] = Open(span[i]);
                for (int i = 0; i < span.Count; i++)
                {
                    var s = span[i];
                    if (s.State != SubscriberState.Confirmed) { index.Remove(s.Id); continue; }
                    var c = circles[i];
                    if (c is null && s.AreaCipher is not null) unopened++;
                    index.Upsert(new SubscriberArea(s.Id, c?.Lat, c?.Lon, c?.RadiusMeters, Alerts.Alert.ZoneIds(s.Zones), s.Channel));
                }
                batch.Clear();
            }
            await foreach (var s in rows.WithCancellation(ct))
            {
                batch.Add(s);
                if (batch.Count == Batch) Flush();
            }
            Flush();
            if (unopened > 0)
                log?.LogWarning("Circles unavailable: {Count} subscribers' circles could not be decrypted (keys destroyed or damaged); they are reached by their zones only", unopened);
            _watermark = started;
        }
        finally
        {
            _gate.Release();
        }
    }

    private SealedCircle? Open(Row s) =>
        s.State == SubscriberState.Confirmed ? SealedCircle.TryOpen(keys, s.AreaCipher) : null;
}
