using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Reports;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Platform;

/// <summary>
/// Whistle's own instruments (Meter "Whistle"), under the names the Grafana dashboard (deploy/grafana/whistle.json) and
/// decision 0047 use in their Prometheus forms. Every label value comes from a fixed set this code names (a channel, a
/// state, a lane, a kind, an outcome): never a zone, a place, a partner, an address or anything a caller typed — a
/// count of subscribers or reports per zone would tell an adversary where a network is strong or busy.
/// One instance per app (its <see cref="IMeterFactory"/>), so two apps in one process never mix their counts.
/// </summary>
public sealed class WhistleMetrics
{
    public const string MeterName = "Whistle";

    /// <summary>The instrument names as Prometheus shows them (counters get "_total" from the exporter).</summary>
    public static class Names
    {
        public const string ReportsReceived = "whistle_reports_received_total";
        public const string SightingConfirm = "whistle_sighting_confirm_seconds";
        public const string AlertFirstThousand = "whistle_alert_first_thousand_seconds";
        public const string Deliveries = "whistle_deliveries_total";
        public const string ProviderErrors = "whistle_provider_errors_total";
        public const string DeliveryRetries = "whistle_delivery_retries_total";
        public const string OutboxLag = "whistle_outbox_lag_seconds";
        public const string FeedPolls = "whistle_feed_polls_total";
        public const string AlertsSent = "whistle_alerts_sent_total";
        public static readonly string[] All =
            [ReportsReceived, SightingConfirm, AlertFirstThousand, Deliveries, ProviderErrors, DeliveryRetries, OutboxLag, FeedPolls, AlertsSent];
    }

    private readonly Counter<long> _reports;
    private readonly Histogram<double> _confirm;
    private readonly Histogram<double> _firstThousand;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _providerErrors;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _feedPolls;
    private readonly Counter<long> _alertsSent;
    private readonly OutboxLag _lag;

    public WhistleMetrics(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        // Counter names without "_total": the Prometheus exporter adds it. No units on the instruments: the names carry them.
        _reports = meter.CreateCounter<long>("whistle_reports_received", description: "Reports received, by channel (web, sms, api, hotline).");
        _confirm = meter.CreateHistogram<double>("whistle_sighting_confirm_seconds", unit: null,
            description: "Seconds from a sighting's first report to its confirmation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400] });
        _firstThousand = meter.CreateHistogram<double>("whistle_alert_first_thousand_seconds", unit: null,
            description: "Seconds from an alert's send to its first 1,000 recipients (or all, when fewer) handed to providers.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600] });
        _deliveries = meter.CreateCounter<long>("whistle_deliveries", description: "Alert deliveries the relay finished a try of, by channel and state (sent, failed, dead).");
        _providerErrors = meter.CreateCounter<long>("whistle_provider_errors", description: "Sends a provider refused or that failed on the way to it, by channel.");
        _retries = meter.CreateCounter<long>("whistle_delivery_retries", description: "Deliveries and messages scheduled for another try, by channel.");
        _feedPolls = meter.CreateCounter<long>("whistle_feed_polls", description: "Federation feed polls, by outcome (ok, error).");
        _alertsSent = meter.CreateCounter<long>("whistle_alerts_sent", description: "Alerts sent, by kind (alert, update, cancel, drill).");
        _lag = new OutboxLag(scopes, time);
        meter.CreateObservableGauge("whistle_outbox_lag_seconds", _lag.Read, unit: null,
            description: "Age of the oldest due work per relay lane (0 when nothing is waiting).");
        Saves = new SaveObserver(this, time);
    }

    /// <summary>Counts reports and confirmations as they are committed, whatever code path saved them (web, SMS, API).</summary>
    public SaveObserver Saves { get; }

    public void ReportReceived(ReportChannel channel) => _reports.Add(1, new KeyValuePair<string, object?>("channel", Label(channel)));

    public void SightingConfirmed(TimeSpan sinceFirstReport) => _confirm.Record(Math.Max(0, sinceFirstReport.TotalSeconds));

    public void FirstThousand(TimeSpan sinceSend) => _firstThousand.Record(Math.Max(0, sinceSend.TotalSeconds));

    public void Delivered(SubscriberChannel channel, DeliveryState state, int count = 1)
    {
        if (count > 0)
            _deliveries.Add(count, new KeyValuePair<string, object?>("channel", Label(channel)), new KeyValuePair<string, object?>("state", Label(state)));
    }

    public void ProviderError(SubscriberChannel channel) => _providerErrors.Add(1, new KeyValuePair<string, object?>("channel", Label(channel)));

    public void Retry(SubscriberChannel channel) => _retries.Add(1, new KeyValuePair<string, object?>("channel", Label(channel)));

    public void FeedPolled(bool ok) => _feedPolls.Add(1, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "error"));

    public void AlertSent(Alert alert) => _alertsSent.Add(1, new KeyValuePair<string, object?>("kind", alert.Drill ? "drill" : Label(alert.Kind)));

    // Label values from enums only, lowercased: a fixed, small set.
    private static string Label<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>
    /// The outbox's age per lane, read from the database when scraped: the oldest of (a fan-out not yet fully claimed, a
    /// retry that is due, a direct message that is due). Each is a MIN over an indexed or small set; the figure is
    /// kept for a few seconds so a burst of scrapes costs one read.
    /// </summary>
    private sealed class OutboxLag(IServiceScopeFactory scopes, TimeProvider time)
    {
        private static readonly TimeSpan Keep = TimeSpan.FromSeconds(5);
        private readonly Lock _gate = new();
        private (DateTimeOffset At, Measurement<double>[] Values)? _last;

        public IEnumerable<Measurement<double>> Read()
        {
            var now = time.GetUtcNow();
            lock (_gate)
            {
                if (_last is { } l && now - l.At < Keep) return l.Values;
                var values = Enum.GetValues<SubscriberChannel>().Select(c => new Measurement<double>(0, new KeyValuePair<string, object?>("lane", Label(c)))).ToArray();
                try
                {
                    var oldest = OldestDue(now);
                    values = Enum.GetValues<SubscriberChannel>().Select(c => new Measurement<double>(
                        oldest.TryGetValue(c, out var at) ? Math.Max(0, (now - at).TotalSeconds) : 0,
                        new KeyValuePair<string, object?>("lane", Label(c)))).ToArray();
                }
                catch (Exception)
                {
                    // The database being down shows on /healthz/ready; the gauge then reports nothing new.
                    return _last?.Values ?? [];
                }
                _last = (now, values);
                return values;
            }
        }

        private Dictionary<SubscriberChannel, DateTimeOffset> OldestDue(DateTimeOffset now)
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var oldest = new Dictionary<SubscriberChannel, DateTimeOffset>();
            void Take(SubscriberChannel c, DateTimeOffset at)
            {
                if (!oldest.TryGetValue(c, out var seen) || at < seen) oldest[c] = at;
            }
            // Few rows each: fan-outs still being worked through, retries waiting, direct messages waiting.
            foreach (var f in db.Fanouts.AsNoTracking().Where(f => f.Cursor < f.Total).Select(f => new { f.Channel, f.CreatedAt }).ToList())
                Take(f.Channel, f.CreatedAt);
            foreach (var d in db.Deliveries.AsNoTracking().Where(d => d.State == DeliveryState.Failed)
                         .GroupBy(d => d.Channel).Select(g => new { Channel = g.Key, At = g.Min(d => d.NextAttemptAt) }).ToList())
                if (d.At is { } at && at <= now) Take(d.Channel, at);
            foreach (var m in db.Messages.AsNoTracking().Where(m => m.State == DeliveryState.Pending || m.State == DeliveryState.Failed)
                         .GroupBy(m => m.Channel).Select(g => new { Channel = g.Key, At = g.Min(m => m.NextAttemptAt) }).ToList())
                if (m.At <= now) Take(m.Channel, m.At);
            return oldest;
        }
    }

    /// <summary>
    /// An EF Core interceptor: notes the reports added and the sightings moved to confirmed in a save, and counts them
    /// once the save has succeeded (a save that fails counts nothing).
    /// </summary>
    public sealed class SaveObserver(WhistleMetrics metrics, TimeProvider time) : SaveChangesInterceptor
    {
        private sealed record Pending(List<ReportChannel> Reports, List<TimeSpan> Confirmed);
        private readonly ConditionalWeakTable<DbContext, Pending> _pending = new();

        public override InterceptionResult<int> SavingChanges(DbContextEventData data, InterceptionResult<int> result)
        {
            Note(data.Context);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData data, InterceptionResult<int> result, CancellationToken ct = default)
        {
            Note(data.Context);
            return ValueTask.FromResult(result);
        }

        public override int SavedChanges(SaveChangesCompletedEventData data, int result)
        {
            Count(data.Context);
            return result;
        }

        public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData data, int result, CancellationToken ct = default)
        {
            Count(data.Context);
            return ValueTask.FromResult(result);
        }

        public override void SaveChangesFailed(DbContextErrorEventData data)
        {
            if (data.Context is { } c) _pending.Remove(c);
        }

        public override Task SaveChangesFailedAsync(DbContextErrorEventData data, CancellationToken ct = default)
        {
            if (data.Context is { } c) _pending.Remove(c);
            return Task.CompletedTask;
        }

        private void Note(DbContext? context)
        {
            if (context is null) return;
            var pending = new Pending([], []);
            var now = time.GetUtcNow();
            foreach (var e in context.ChangeTracker.Entries())
            {
                if (e.Entity is Report r && e.State == EntityState.Added) pending.Reports.Add(r.Channel);
                else if (e.Entity is Sighting s && s.State == SightingState.Confirmed
                         && e.State == EntityState.Modified && e.Property(nameof(Sighting.State)).OriginalValue is SightingState before
                         && before != SightingState.Confirmed)
                    pending.Confirmed.Add(now - s.FirstReportAt);
            }
            if (pending.Reports.Count + pending.Confirmed.Count > 0) _pending.AddOrUpdate(context, pending);
            else _pending.Remove(context);
        }

        private void Count(DbContext? context)
        {
            if (context is null || !_pending.TryGetValue(context, out var pending)) return;
            _pending.Remove(context);
            // Saved inside a transaction the caller may still roll back: rare on these paths (intake and verification
            // commit at once), and a count one too high is the lesser error for an operator's dashboard.
            foreach (var c in pending.Reports) metrics.ReportReceived(c);
            foreach (var t in pending.Confirmed) metrics.SightingConfirmed(t);
        }
    }
}
