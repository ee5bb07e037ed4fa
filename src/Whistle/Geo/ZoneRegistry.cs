using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Geo;

/// <summary>
/// Holds the network's current zones in memory; reloaded when zones change — at once in the process that
/// imported them, and in every other process sharing the database when it sees a newer
/// <see cref="Network.NetworkProfile.ZonesChangedAt"/> (<see cref="ReloadIfChangedAsync"/>, from Housekeeping).
/// </summary>
public sealed class ZoneRegistry
{
    private volatile ZoneCatalog _current = new([]);
    private volatile string _geoJson = """{"type":"FeatureCollection","features":[]}""";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _loadedStamp;
    private bool _loaded;

    public ZoneCatalog Current => _current;

    /// <summary>The zones as an RFC 7946 FeatureCollection, built once per reload.</summary>
    public string GeoJson => _geoJson;

    public async Task ReloadAsync(WhistleDb db, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try { await LoadAsync(db, await StampAsync(db, ct), ct); }
        finally { _gate.Release(); }
    }

    /// <summary>Reloads when the zones were changed (by this or another process) since they were loaded here; true if it did.</summary>
    public async Task<bool> ReloadIfChangedAsync(WhistleDb db, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var stamp = await StampAsync(db, ct);
            if (_loaded && stamp == _loadedStamp) return false;
            await LoadAsync(db, stamp, ct);
            return true;
        }
        finally { _gate.Release(); }
    }

    private static Task<DateTimeOffset?> StampAsync(WhistleDb db, CancellationToken ct) =>
        db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.ZonesChangedAt).FirstOrDefaultAsync(ct);

    // The stamp is read before the zones: a change committed in between is loaded now and seen again next time.
    private async Task LoadAsync(WhistleDb db, DateTimeOffset? stamp, CancellationToken ct)
    {
        _loadedStamp = stamp;
        _loaded = true;
        var zones = await db.Zones.AsNoTracking().OrderBy(z => z.Id).Select(z => new { z.Id, z.Name, z.GeoJson }).ToListAsync(ct);
        _current = new ZoneCatalog(zones.Select(z => (z.Id, z.Name, z.GeoJson)));
        var features = zones.Select(z =>
            $$"""{"type":"Feature","id":{{z.Id}},"properties":{"id":{{z.Id}},"name":{{System.Text.Json.JsonSerializer.Serialize(z.Name)}}},"geometry":{{z.GeoJson}}}""");
        _geoJson = """{"type":"FeatureCollection","features":[""" + string.Join(',', features) + "]}";
    }
}
