using Whistle.Geo;

namespace Whistle.Federation;

public enum PartnerAlertState { Active, Superseded, Cancelled }

/// <summary>
/// A CAP message imported from a partner network's feed. One row per message (sender and identifier are
/// unique); an Update supersedes the rows it references and a Cancel ends them, so each chain has at most
/// one active row. Only Actual, Public, active, unexpired rows are shown.
/// </summary>
public class PartnerAlert
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Partner { get; set; } = "";
    public string Identifier { get; set; } = "";
    public string Sender { get; set; } = "";
    public DateTimeOffset Sent { get; set; }
    /// <summary>CAP msgType: Alert, Update or Cancel.</summary>
    public string MsgType { get; set; } = "";
    /// <summary>CAP status: Actual, Exercise, System, Test, Draft.</summary>
    public string Status { get; set; } = "";
    /// <summary>CAP scope: Public, Restricted, Private.</summary>
    public string Scope { get; set; } = "";
    /// <summary>The CAP references, as "sender,identifier,sent" triples separated by spaces.</summary>
    public string References { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
    /// <summary>Headline (else event) per language code (en, es, so, hmn, …).</summary>
    public Dictionary<string, string> Headlines { get; set; } = [];
    /// <summary>Description and instruction per language code.</summary>
    public Dictionary<string, string> Descriptions { get; set; } = [];
    public string AreaDesc { get; set; } = "";
    /// <summary>The shapes as JSON: circles (metres) and polygons (GeoJSON rings, [lon, lat]).</summary>
    public PartnerArea Area { get; set; } = PartnerArea.Empty();
    public PartnerAlertState State { get; set; }
    /// <summary>The first row of the chain (an alert and its updates and cancel share it).</summary>
    public Guid ChainId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The local alert a dispatcher relayed this chain as, who did and when.</summary>
    public Guid? RelayedAlertId { get; set; }
    public string? RelayedBy { get; set; }
    public DateTimeOffset? RelayedAt { get; set; }
    /// <summary>The partner updated or cancelled the chain after it was relayed: the dispatcher should look.</summary>
    public bool ChangedSinceRelay { get; set; }

    /// <summary>Vertices of <see cref="Area"/> after simplification (a circle counts one): the partner's budget adds these up.</summary>
    public int Vertices { get; set; }
    /// <summary>When anything that decides what the public sees last changed on this row (import, supersede, hide, relay).</summary>
    public DateTimeOffset ChangedAt { get; set; }
    /// <summary>A dispatcher hid it from every public output: when, who, why.</summary>
    public DateTimeOffset? HiddenAt { get; set; }
    public string? HiddenBy { get; set; }
    public string? HiddenReason { get; set; }

    public bool IsShown(DateTimeOffset now) =>
        State == PartnerAlertState.Active && Status == "Actual" && Scope == "Public" && ExpiresAt > now && HiddenAt is null;
}

public sealed record PartnerArea(List<CapCircle> Circles, List<double[][]> Polygons)
{
    public static PartnerArea Empty() => new([], []);

    /// <summary>What the partner's budgets count: every polygon vertex, and one per circle.</summary>
    public int Vertices => Circles.Count + Polygons.Sum(r => r.Length);

    /// <summary>
    /// The shapes as a map needs them: each ring simplified (topology preserved) at <paramref name="meters"/>, coarser
    /// until it has at most <paramref name="maxRing"/> vertices, coordinates rounded to ~1 m. A 2,000-point ring drawn
    /// around a neighbourhood keeps a few dozen points.
    /// </summary>
    public PartnerArea Simplified(double meters, int maxRing) =>
        new(Circles, Polygons.Select(r => Simplify(r, meters, maxRing)).ToList());

    public static double[][] Simplify(double[][] ring, double meters, int maxRing)
    {
        var factory = NetTopologySuite.Geometries.GeometryFactory.Default;
        var shell = factory.CreatePolygon(ring.Select(p => new NetTopologySuite.Geometries.Coordinate(p[0], p[1])).ToArray());
        var best = Rounded(ring.Select(p => (p[0], p[1])));
        double tolerance = Math.Max(meters, 0) / 111_320.0; // metres to degrees of latitude (longitude is shorter: safe side)
        for (int i = 0; i < 40 && (tolerance > 0 || best.Length > maxRing); i++, tolerance = Math.Max(tolerance * 2, 1e-5))
        {
            if (tolerance > 0 && Simpler(shell, tolerance) is NetTopologySuite.Geometries.Polygon { IsEmpty: false } simpler
                && Rounded(simpler.ExteriorRing.Coordinates.Select(c => (c.X, c.Y))) is { Length: >= 4 } candidate)
                best = candidate;
            if (best.Length <= maxRing) break;
        }
        return best;
    }

    /// <summary>A self-crossing ring can defeat the simplifier: then the ring stays as it is (and the budgets decide).</summary>
    private static NetTopologySuite.Geometries.Geometry? Simpler(NetTopologySuite.Geometries.Polygon shell, double tolerance)
    {
        try { return NetTopologySuite.Simplify.TopologyPreservingSimplifier.Simplify(shell, tolerance); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NetTopologySuite.Geometries.TopologyException) { return null; }
    }

    private static double[][] Rounded(IEnumerable<(double X, double Y)> points)
    {
        var list = new List<double[]>();
        foreach (var (x, y) in points)
        {
            var p = new[] { Math.Round(x, 5), Math.Round(y, 5) };
            if (list.Count == 0 || list[^1][0] != p[0] || list[^1][1] != p[1]) list.Add(p);
        }
        if (list.Count > 0 && (list[0][0] != list[^1][0] || list[0][1] != list[^1][1])) list.Add([list[0][0], list[0][1]]);
        return list.ToArray();
    }

    /// <summary>
    /// A circle around every shape (the mean of their points as centre): what a relayed local alert covers,
    /// since local alerts are circles or zones.
    /// </summary>
    public GeoCircle? Enclosing()
    {
        var points = Circles.Select(c => new GeoPoint(c.Lat, c.Lon))
            .Concat(Polygons.SelectMany(r => r.Take(r.Length - 1)).Select(p => new GeoPoint(p[1], p[0]))).ToList();
        if (points.Count == 0) return null;
        var centre = new GeoPoint(points.Average(p => p.Lat), points.Average(p => p.Lon));
        double radius = Circles.Select(c => centre.DistanceTo(new GeoPoint(c.Lat, c.Lon)) + c.RadiusMeters)
            .Concat(Polygons.SelectMany(r => r).Select(p => centre.DistanceTo(new GeoPoint(p[1], p[0])))).Max();
        return new GeoCircle(centre, radius);
    }
}

/// <summary>What this network knows of a partner's feed: the validators for conditional requests, and its health.</summary>
public class FederationPartner
{
    public string Name { get; set; } = "";
    public string FeedUrl { get; set; } = "";
    public string? ETag { get; set; }
    public string? LastModified { get; set; }
    public DateTimeOffset? LastPollAt { get; set; }
    public DateTimeOffset? LastSuccessAt { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }
    public string? LastError { get; set; }
    public int ErrorCount { get; set; }
    public int ConsecutiveErrors { get; set; }
    public int NotModifiedCount { get; set; }
    public int Imported { get; set; }
}
