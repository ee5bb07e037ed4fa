using System.Text.Json;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;

namespace Whistle.Geo;

/// <summary>
/// A zone (a neighbourhood) with its polygon held in a local metric plane, so that
/// "does this circle overlap this zone" is a planar distance test in metres.
/// </summary>
public sealed class ZoneShape
{
    private readonly IPointOnGeometryLocator _locator;
    private readonly IndexedFacetDistance _facets;

    public ZoneShape(int id, string name, Geometry wgs84, LocalPlane plane)
    {
        Id = id;
        Name = name;
        Wgs84 = wgs84;
        Plane = plane;
        Projected = plane.Project(wgs84);
        _locator = new IndexedPointInAreaLocator(Projected);
        _facets = new IndexedFacetDistance(Projected);
        var env = wgs84.EnvelopeInternal;
        MinLat = env.MinY; MaxLat = env.MaxY; MinLon = env.MinX; MaxLon = env.MaxX;
        var c = wgs84.InteriorPoint;
        Label = new GeoPoint(c.Y, c.X);
    }

    public int Id { get; }
    public string Name { get; }
    public Geometry Wgs84 { get; }
    public Geometry Projected { get; }
    public LocalPlane Plane { get; }
    public double MinLat { get; }
    public double MaxLat { get; }
    public double MinLon { get; }
    public double MaxLon { get; }
    /// <summary>A point guaranteed inside the zone.</summary>
    public GeoPoint Label { get; }

    public bool Contains(GeoPoint p) => _locator.Locate(Plane.Project(p)) != Location.Exterior;

    /// <summary>Metres from the point to the zone; 0 inside.</summary>
    public double DistanceTo(GeoPoint p)
    {
        var q = Plane.Project(p);
        return _locator.Locate(q) != Location.Exterior ? 0 : _facets.Distance(new Point(q));
    }

    public bool Intersects(GeoCircle circle) => DistanceTo(circle.Center) <= circle.RadiusMeters;
}

/// <summary>Equirectangular projection about a reference latitude: exact enough (&lt;0.1 %) across a city.</summary>
public sealed class LocalPlane(double refLat)
{
    private readonly double _kx = Math.Cos(refLat * Math.PI / 180) * Math.PI / 180 * GeoPoint.EarthRadiusMeters;
    private const double Ky = Math.PI / 180 * GeoPoint.EarthRadiusMeters;

    public Coordinate Project(GeoPoint p) => new(p.Lon * _kx, p.Lat * Ky);

    public Geometry Project(Geometry g)
    {
        var copy = g.Copy();
        copy.Apply(new ProjectFilter(this));
        copy.GeometryChanged();
        return copy;
    }

    private sealed class ProjectFilter(LocalPlane plane) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;
        public void Filter(CoordinateSequence seq, int i)
        {
            double lon = seq.GetX(i), lat = seq.GetY(i);
            seq.SetX(i, lon * plane._kx);
            seq.SetY(i, lat * Ky);
        }
    }
}

/// <summary>The network's zones, loaded once and read by targeting, validation and the public map.</summary>
public sealed class ZoneCatalog
{
    private readonly Dictionary<int, ZoneShape> _byId;

    public ZoneCatalog(IEnumerable<(int Id, string Name, string GeoJson)> zones)
    {
        var list = zones.Select(z => (z.Id, z.Name, Geometry: ParseGeometry(z.GeoJson))).ToList();
        double refLat = list.Count == 0 ? 45 : list.Average(z => z.Geometry.Centroid.Y);
        Plane = new LocalPlane(refLat);
        _byId = list.ToDictionary(z => z.Id, z => new ZoneShape(z.Id, z.Name, z.Geometry, Plane));
    }

    public LocalPlane Plane { get; }
    public IReadOnlyCollection<ZoneShape> All => _byId.Values;
    public bool Exists(int id) => _byId.ContainsKey(id);
    public ZoneShape? Find(int id) => _byId.GetValueOrDefault(id);
    public ZoneShape Get(int id) => _byId[id];

    public ZoneShape? ZoneAt(GeoPoint p) => _byId.Values.FirstOrDefault(z =>
        p.Lat >= z.MinLat && p.Lat <= z.MaxLat && p.Lon >= z.MinLon && p.Lon <= z.MaxLon && z.Contains(p));

    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new NetTopologySuite.IO.Converters.GeoJsonConverterFactory() } };

    public static Geometry ParseGeometry(string geoJson) =>
        JsonSerializer.Deserialize<Geometry>(geoJson, GeoJson) ?? throw new FormatException("empty geometry");
}
