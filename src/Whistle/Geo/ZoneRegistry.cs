using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Geo;

/// <summary>Holds the network's current zones in memory; reloaded when zones change.</summary>
public sealed class ZoneRegistry
{
    private volatile ZoneCatalog _current = new([]);
    private volatile string _geoJson = """{"type":"FeatureCollection","features":[]}""";

    public ZoneCatalog Current => _current;

    /// <summary>The zones as an RFC 7946 FeatureCollection, built once per reload.</summary>
    public string GeoJson => _geoJson;

    public async Task ReloadAsync(WhistleDb db, CancellationToken ct = default)
    {
        var zones = await db.Zones.AsNoTracking().OrderBy(z => z.Id).Select(z => new { z.Id, z.Name, z.GeoJson }).ToListAsync(ct);
        _current = new ZoneCatalog(zones.Select(z => (z.Id, z.Name, z.GeoJson)));
        var features = zones.Select(z =>
            $$"""{"type":"Feature","id":{{z.Id}},"properties":{"id":{{z.Id}},"name":{{System.Text.Json.JsonSerializer.Serialize(z.Name)}}},"geometry":{{z.GeoJson}}}""");
        _geoJson = """{"type":"FeatureCollection","features":[""" + string.Join(',', features) + "]}";
    }
}
