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

    public bool IsShown(DateTimeOffset now) => State == PartnerAlertState.Active && Status == "Actual" && Scope == "Public" && ExpiresAt > now;
}

public sealed record PartnerArea(List<CapCircle> Circles, List<double[][]> Polygons)
{
    public static PartnerArea Empty() => new([], []);

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
