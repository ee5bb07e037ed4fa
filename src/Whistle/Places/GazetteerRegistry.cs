using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Geo;

namespace Whistle.Places;

/// <summary>An admin's imported gazetteer (one per network): cleaned, compact GeoJSON, replacing the shipped one.</summary>
public class GazetteerFile
{
    public int Id { get; set; } = 1;
    public string GeoJson { get; set; } = "";
    public int Streets { get; set; }
    public int Landmarks { get; set; }
    public DateTimeOffset ImportedAt { get; set; }
    public string ImportedBy { get; set; } = "";
}

/// <summary>
/// The network's gazetteer, built once and rebuilt when the zones change or an admin imports a file (another
/// process's import is seen on the next look-up: the import's time is read each time, a one-row query).
/// Which streets: the imported file; else, on the demo network only, the Minneapolis streets shipped with
/// Whistle; else none (a network elsewhere gets its zones only, never another city's streets).
/// </summary>
public sealed class GazetteerRegistry(ZoneRegistry zones)
{
    public const string ShippedResource = "Whistle.Resources.minneapolis-streets.geojson";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (ZoneCatalog Zones, DateTimeOffset? Stamp, bool Demo, Gazetteer Built)? _cache;

    public async Task<Gazetteer> CurrentAsync(WhistleDb db, CancellationToken ct)
    {
        var stamp = await db.GazetteerFiles.AsNoTracking().Select(g => (DateTimeOffset?)g.ImportedAt).FirstOrDefaultAsync(ct);
        var demo = await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.Demo).FirstOrDefaultAsync(ct);
        var catalog = zones.Current;
        if (_cache is { } c && c.Zones == catalog && c.Stamp == stamp && c.Demo == demo) return c.Built;
        await _gate.WaitAsync(ct);
        try
        {
            if (_cache is { } again && again.Zones == catalog && again.Stamp == stamp && again.Demo == demo) return again.Built;
            List<GazetteerEntry> entries = [];
            if (stamp is not null)
            {
                var json = await db.GazetteerFiles.AsNoTracking().Select(g => g.GeoJson).FirstAsync(ct);
                entries = Gazetteer.Parse(json).Entries;
            }
            else if (demo) entries = Shipped();
            var built = new Gazetteer(entries, catalog);
            _cache = (catalog, stamp, demo, built);
            return built;
        }
        finally { _gate.Release(); }
    }

    public static List<GazetteerEntry> Shipped()
    {
        using var stream = typeof(GazetteerRegistry).Assembly.GetManifestResourceStream(ShippedResource)
            ?? throw new InvalidOperationException("The shipped street file is missing.");
        using var reader = new StreamReader(stream);
        var (entries, _, error) = Gazetteer.Parse(reader.ReadToEnd());
        return error is null ? entries : throw new InvalidOperationException("The shipped street file is broken: " + error);
    }
}
