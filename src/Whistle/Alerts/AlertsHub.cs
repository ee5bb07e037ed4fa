using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Identity;

namespace Whistle.Alerts;

/// <summary>
/// Live delivery progress for the console (SignalR at /hubs/alerts): a dispatcher calls
/// <c>Watch(alertId)</c> and receives <c>progress</c> (an <see cref="AlertProgress"/>) about once a
/// second while it changes, until <c>Unwatch</c> or disconnect.
/// </summary>
[Authorize(Policy = Policies.Dispatch)]
public sealed class AlertsHub(AlertWatchers watchers) : Hub
{
    public const string Path = "/hubs/alerts";
    public const string ProgressEvent = "progress";

    public async Task Watch(Guid alertId)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(alertId));
        watchers.Add(Context.ConnectionId, alertId);
    }

    public async Task Unwatch(Guid alertId)
    {
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(alertId));
        watchers.Remove(Context.ConnectionId, alertId);
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        watchers.RemoveConnection(Context.ConnectionId);
        return Task.CompletedTask;
    }

    public static string Group(Guid alertId) => "alert:" + alertId;
}

/// <summary>Which alerts someone is watching, so progress is computed only for those.</summary>
public sealed class AlertWatchers
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, byte>> _byConnection = new();

    public void Add(string connection, Guid alert) => _byConnection.GetOrAdd(connection, _ => new())[alert] = 0;
    public void Remove(string connection, Guid alert) { if (_byConnection.TryGetValue(connection, out var set)) set.TryRemove(alert, out _); }
    public void RemoveConnection(string connection) => _byConnection.TryRemove(connection, out _);
    public HashSet<Guid> Watched => _byConnection.Values.SelectMany(s => s.Keys).ToHashSet();
    /// <summary>This node's connections watching the alert.</summary>
    public List<string> ConnectionsOf(Guid alert) => _byConnection.Where(c => c.Value.ContainsKey(alert)).Select(c => c.Key).ToList();
}

/// <summary>Once a second, sends each watched alert's progress to its watchers when it has changed.</summary>
public sealed class ProgressBroadcaster(
    IServiceScopeFactory scopes, AlertWatchers watchers, IHubContext<AlertsHub> hub, DeliveryRates rates,
    TimeProvider time, ILogger<ProgressBroadcaster> log) : BackgroundService
{
    private readonly Dictionary<Guid, string> _last = [];

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // A pause after each pass rather than a PeriodicTimer: the same second on a real clock, but a test's
        // FakeTimeProvider jumping 150 days wakes this once, not once for each of the 13 million seconds between
        // (that replay was 5 minutes of ReportRetentionTests; docs/decisions/0038-registry-small-numbers.md).
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(1), time, stop); }
            catch (OperationCanceledException) { break; }
            try
            {
                await TickAsync(stop);
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                log.LogError(ex, "Progress broadcast failed; trying again in a second");
            }
        }
    }

    private async Task TickAsync(CancellationToken ct)
    {
        var watched = watchers.Watched;
        foreach (var gone in _last.Keys.Where(k => !watched.Contains(k)).ToList()) _last.Remove(gone);
        if (watched.Count == 0) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        foreach (var id in watched)
        {
            var alert = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
            if (alert is null) continue;
            var progress = await AlertProgress.OfAsync(db, alert, rates, time.GetUtcNow(), ct,
                scope.ServiceProvider.GetRequiredService<Platform.WhistleMetrics>());
            // Only what changed is pushed (the estimated finish moves every second; it is not a change on its own).
            var key = JsonSerializer.Serialize(progress with { EstimatedDoneAt = null, Channels = progress.Channels.ToDictionary(c => c.Key, c => c.Value with { EstimatedDoneAt = null }) });
            if (_last.GetValueOrDefault(id) == key) continue;
            _last[id] = key;
            // To this node's watchers only: with several nodes each node's broadcaster serves its own consoles (the group
            // spans every node through the backplane, and would hear each node's copy).
            var here = watchers.ConnectionsOf(id);
            if (here.Count > 0) await hub.Clients.Clients(here).SendAsync(AlertsHub.ProgressEvent, progress, ct);
        }
    }
}
