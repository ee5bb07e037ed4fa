using Whistle.Geo;
using Whistle.Reports;

namespace Whistle.Alerts;

public enum AlertKind { Alert, Update, Cancel }
public enum CancelReason { AllClear, FalseAlarm }

/// <summary>
/// A message to the public about a confirmed sighting (or a drill). Updates and cancels are
/// alerts of their own that reference the original, as in CAP's msgType/references.
/// </summary>
public class Alert
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>A compact number the outbox uses instead of the GUID (a million delivery rows carry it).</summary>
    public long Seq { get; set; }
    public AlertKind Kind { get; set; }
    public Guid? ReferencesId { get; set; }
    public Guid? SightingId { get; set; }
    public bool Drill { get; set; }
    /// <summary>A drill's audience: the test audience (staff and opted-in subscribers), or the public on an admin's recorded reason.</summary>
    public AlertAudience Audience { get; set; }
    /// <summary>Why an admin sent a drill to the general public (<see cref="SentBy"/> is who); null otherwise.</summary>
    public string? AudienceReason { get; set; }
    public Activity Activity { get; set; }
    public string Place { get; set; } = "";
    public double? CircleLat { get; set; }
    public double? CircleLon { get; set; }
    public double? CircleRadiusMeters { get; set; }
    /// <summary>Zone ids, comma separated.</summary>
    public string Zones { get; set; } = "";
    /// <summary>Where "nearest first" is measured from: the sighting, else the area's centre.</summary>
    public double OriginLat { get; set; }
    public double OriginLon { get; set; }
    public CancelReason? CancelReason { get; set; }
    public DateTimeOffset SentAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    /// <summary>Set on the original when a cancel supersedes it.</summary>
    public DateTimeOffset? CancelledAt { get; set; }
    public string SentBy { get; set; } = "";
    /// <summary>
    /// Set only when the dispatcher sent words that looked like they identify an officer (<see cref="OfficerText"/>):
    /// what was flagged, and the reason they gave for sending anyway (<see cref="SentBy"/> is who).
    /// </summary>
    public string? OverrideFindings { get; set; }
    public string? OverrideReason { get; set; }
    public int Recipients { get; set; }
    /// <summary>When the first 1,000 recipients, the nearest, had all been handed to a provider (set once, when first seen).</summary>
    public DateTimeOffset? FirstThousandAt { get; set; }
    /// <summary>Estimated seconds to reach everyone, per channel, at the configured rates when it was sent.</summary>
    public Dictionary<string, double> Estimates { get; set; } = [];
    /// <summary>Rendered text per language code (en, es, so, hmn).</summary>
    public Dictionary<string, string> Messages { get; set; } = [];

    public AlertArea Area => new(
        CircleLat is { } lat && CircleLon is { } lon && CircleRadiusMeters is { } r ? new GeoCircle(new GeoPoint(lat, lon), r) : null,
        ZoneIds(Zones));

    public static int[] ZoneIds(string csv) =>
        csv.Length == 0 ? [] : csv.Split(',').Select(int.Parse).ToArray();

    public string StateAt(DateTimeOffset now) =>
        CancelledAt is not null ? "cancelled" : Kind == AlertKind.Cancel ? "sent" : now >= ExpiresAt ? "expired" : "active";
}

/// <summary>An alert's area: a circle, a set of zones, or both (their union).</summary>
public sealed record AlertArea(GeoCircle? Circle, int[] Zones)
{
    public bool IsEmpty => Circle is null && Zones.Length == 0;

    /// <summary>The point distances are measured from when there is no sighting location.</summary>
    public GeoPoint Centre(ZoneCatalog zones) =>
        Circle?.Center ?? Average(Zones.Select(z => zones.Get(z).Label));

    private static GeoPoint Average(IEnumerable<GeoPoint> points)
    {
        var list = points.ToList();
        return new GeoPoint(list.Average(p => p.Lat), list.Average(p => p.Lon));
    }
}
