using Whistle.Geo;
using Whistle.Reports;
using Whistle.Verification;

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
    /// <summary>
    /// The two-person rule (<see cref="TwoPerson"/>): the alert waits for a second dispatcher. Nothing is delivered and it is
    /// in no public feed until <see cref="ApprovedAt"/>; a rejected one keeps this set, with <see cref="CancelledAt"/>.
    /// </summary>
    public bool AwaitingApproval { get; set; }
    public string? ApprovedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }
    public string? RejectedBy { get; set; }
    public string? RejectReason { get; set; }
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
        AwaitingApproval ? (CancelledAt is not null ? "rejected" : now >= ExpiresAt ? "expired" : "pending_approval")
        : CancelledAt is not null ? "cancelled" : Kind == AlertKind.Cancel ? "sent" : now >= ExpiresAt ? "expired" : "active";
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

/// <summary>
/// When an alert may be sent, updated or cancelled — the rules that keep one sighting from becoming two alerts and a
/// finished alert from being sent again. Each answer is null (go ahead) or the reason it may not, for a 409.
/// </summary>
public static class SendRules
{
    /// <summary>An alert still speaking for its sighting: an original, not cancelled, not expired.</summary>
    public static bool IsLive(Alert a, DateTimeOffset now) => a.Kind == AlertKind.Alert && a.CancelledAt is null && now < a.ExpiresAt;

    /// <summary>A new alert for a sighting: only a confirmed one (a drill may use any), and never beside a live one.</summary>
    public static string? RefuseNew(SightingState? sighting, bool drill, Guid? live) =>
        sighting is { } s && s != SightingState.Confirmed && !drill
            ? $"The sighting is {Names.Of(s)}; only a confirmed sighting can be alerted. Verify it first, or send a drill."
            : live is { } id
                ? $"This sighting already has an active alert ({id}). Update that alert instead of sending a second one, or cancel it first."
                : null;

    /// <summary>An update: of a live original, while its sighting is still open.</summary>
    public static string? RefuseUpdate(Alert original, SightingState? sighting, DateTimeOffset now) =>
        original.AwaitingApproval ? TwoPerson.NotYet
        : original.Kind != AlertKind.Alert ? "This is itself an update or a cancel; update the original alert."
        : original.CancelledAt is { } at ? $"This alert was cancelled at {at:u}; there is nothing left to update."
        : now >= original.ExpiresAt ? $"This alert expired at {original.ExpiresAt:u}; send a new alert if the sighting is still live."
        : sighting is SightingState.Resolved or SightingState.FalseAlarm
            ? $"The sighting is {Names.Of(sighting.Value)}; send an all clear or a retraction instead of an update."
            : null;

    /// <summary>
    /// An all clear or retraction: of an original not yet cancelled. It stays allowed after the sighting was resolved
    /// or the alert expired — it is the only way to tell the people who got the alert that it is over.
    /// </summary>
    public static string? RefuseCancel(Alert original) =>
        original.AwaitingApproval ? TwoPerson.NotYet
        : original.Kind != AlertKind.Alert ? "This is itself an update or a cancel; cancel the original alert."
        : original.CancelledAt is { } at ? $"This alert was already cancelled at {at:u}; nothing more is sent."
        : null;
}

/// <summary>Thrown inside the sending transaction when the sighting already has a live alert (see <see cref="SendRules"/>).</summary>
public sealed class ActiveAlertException(Guid active) : Exception($"Sighting already has active alert {active}.")
{
    public Guid Active { get; } = active;
}

/// <summary>Thrown inside the cancelling transaction when another cancel of the same alert committed first.</summary>
public sealed class AlreadyCancelledException() : Exception("Alert already cancelled.");
