using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// What the public sees of alerts: the live verified ones, each at a ~200 m grid point, and (for the live
/// stream and <c>?include=retracted</c>) the false alarms retracted in the last 24 hours, marked as such. Nothing
/// about people: the same fields the active list always had, plus a state and when it was retracted.
/// </summary>
public static class PublicAlerts
{
    public static readonly TimeSpan RetractedShownFor = TimeSpan.FromHours(24);

    public static async Task<object> GeoJsonAsync(WhistleDb db, DateTimeOffset now, bool retracted, CancellationToken ct)
    {
        var alerts = await db.Alerts.AsNoTracking()
            .Where(a => a.Kind == AlertKind.Alert && !a.Drill && !a.AwaitingApproval && a.CancelledAt == null && a.ExpiresAt > now)
            .OrderByDescending(a => a.SentAt).Take(500).ToListAsync(ct);
        var shown = alerts.Select(a => (Alert: a, RetractedAt: (DateTimeOffset?)null)).ToList();
        if (retracted)
        {
            var since = now - RetractedShownFor;
            var cancels = await db.Alerts.AsNoTracking()
                .Where(c => c.Kind == AlertKind.Cancel && !c.Drill && c.CancelReason == CancelReason.FalseAlarm && c.SentAt >= since)
                .OrderByDescending(c => c.SentAt).Take(100).Select(c => new { c.ReferencesId, c.SentAt }).ToListAsync(ct);
            var ids = cancels.Select(c => c.ReferencesId).ToList();
            var originals = await db.Alerts.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
            foreach (var c in cancels)
                if (c.ReferencesId is { } id && originals.TryGetValue(id, out var original))
                    shown.Add((original, c.SentAt));
        }
        var features = shown.Select(x =>
        {
            var a = x.Alert;
            var p = new GeoPoint(a.OriginLat, a.OriginLon).Coarsen(200);
            return new
            {
                type = "Feature",
                geometry = new { type = "Point", coordinates = new[] { p.Lon, p.Lat } },
                properties = new
                {
                    id = a.Id,
                    state = x.RetractedAt is null ? "active" : "retracted",
                    activity = Names.Of(a.Activity),
                    place = a.Place,
                    sentAt = a.SentAt,
                    expiresAt = a.ExpiresAt,
                    retractedAt = x.RetractedAt,
                    radiusMeters = a.CircleRadiusMeters,
                    zones = Alert.ZoneIds(a.Zones),
                    messages = a.Messages,
                },
            };
        });
        return new { type = "FeatureCollection", features };
    }

    /// <summary><c>GET /alerts/stream</c>: Server-Sent Events, the public alerts (with retractions) now and each time they change.</summary>
    public static RouteGroupBuilder MapAlertsStream(this RouteGroupBuilder api)
    {
        api.MapGet("/alerts/stream", Stream).AllowAnonymous().WithTags("Alerts");
        return api;
    }

    private static ServerSentEventsResult<string> Stream(PublicAlertsFeed feed, CancellationToken ct) =>
        TypedResults.ServerSentEvents(feed.SnapshotsAsync(ct), "alerts");
}

/// <summary>
/// One shared watcher of the alerts table for every open stream: while anyone listens it asks the database
/// one cheap question a second (the highest alert number, and whether something shown has expired), rebuilds
/// the public GeoJSON only when the answer changes, and wakes every stream with the new text. The cost is the
/// same for one listener or ten thousand, and it sees alerts sent from any node sharing the database.
/// </summary>
public sealed class PublicAlertsFeed(IServiceScopeFactory scopes, TimeProvider time, IOptions<JsonOptions> json, ILogger<PublicAlertsFeed> log)
    : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    private readonly object _gate = new();
    private TaskCompletionSource<string> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _current;
    private long? _seq;
    private DateTimeOffset _staleAt = DateTimeOffset.MaxValue;
    private int _listeners;
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async IAsyncEnumerable<string> SnapshotsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        lock (_gate) { _listeners++; _listening.TrySetResult(); }
        try
        {
            Task<string> next;
            string? current;
            lock (_gate) { current = _current; next = _next.Task; }
            current ??= await next.WaitAsync(ct);
            while (true)
            {
                yield return current;
                lock (_gate) next = _next.Task;
                current = await next.WaitAsync(ct);
            }
        }
        finally
        {
            lock (_gate)
            {
                if (--_listeners == 0) _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Task listening;
            lock (_gate) listening = _listeners > 0 ? Task.CompletedTask : _listening.Task;
            if (!listening.IsCompleted)
            {
                lock (_gate) { _current = null; _seq = null; } // nobody listening: start fresh next time
                await listening.WaitAsync(stopping);
            }
            // A wake that comes while this check runs completes the next one: the loop comes round at once.
            Task woken;
            bool forced;
            lock (_gate)
            {
                forced = _wake.Task.IsCompleted;
                if (forced) _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
                woken = _wake.Task;
            }
            try { await CheckAsync(forced, stopping); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Could not refresh the public alerts feed"); }
            // The bus wakes this at once when an alert changes on any node; the poll stays for expiry and as a safety net.
            await Task.WhenAny(woken, Task.Delay(Every, time, stopping));
            stopping.ThrowIfCancellationRequested();
        }
    }

    /// <summary>An alert changed (here or on another node, via the live bus): look now, not at the next poll.</summary>
    public void Wake()
    {
        lock (_gate) _wake.TrySetResult();
    }

    private async Task CheckAsync(bool forced, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var now = time.GetUtcNow();
        var seq = await db.Alerts.MaxAsync(a => (long?)a.Seq, ct) ?? 0;
        if (_current is not null && seq == _seq && now < _staleAt && !forced) return;
        var geo = await PublicAlerts.GeoJsonAsync(db, now, retracted: true, ct);
        var text = JsonSerializer.Serialize(geo, json.Value.SerializerOptions);
        // Rebuild again when the first shown alert expires or a retraction is a day old.
        var stale = DateTimeOffset.MaxValue;
        foreach (var f in JsonDocument.Parse(text).RootElement.GetProperty("features").EnumerateArray())
        {
            var p = f.GetProperty("properties");
            var at = p.GetProperty("retractedAt").ValueKind == JsonValueKind.Null
                ? p.GetProperty("expiresAt").GetDateTimeOffset()
                : p.GetProperty("retractedAt").GetDateTimeOffset() + PublicAlerts.RetractedShownFor;
            if (at < stale) stale = at;
        }
        TaskCompletionSource<string>? wake = null;
        lock (_gate)
        {
            _seq = seq;
            _staleAt = stale;
            if (text != _current)
            {
                _current = text;
                wake = _next;
                _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        wake?.TrySetResult(text);
    }
}
