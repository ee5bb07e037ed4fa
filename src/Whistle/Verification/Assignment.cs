using Whistle.Geo;

namespace Whistle.Verification;

public enum AssignmentState { Sent, Accepted, Declined, Reported }

/// <summary>One verifier sent to one sighting: messaged, then accepting (or declining), then reporting an outcome.</summary>
public class Assignment
{
    public long Id { get; set; }
    public Guid SightingId { get; set; }
    public string VerifierId { get; set; } = "";
    public AssignmentState State { get; set; }
    /// <summary>Metres from the verifier's home zone to the sighting when sent (0 inside it; null when unknown).</summary>
    public double? DistanceMeters { get; set; }
    public string SentBy { get; set; } = "";
    public DateTimeOffset SentAt { get; set; }
    public DateTimeOffset? AnsweredAt { get; set; }

    public static bool CanMove(AssignmentState from, AssignmentState to) => (from, to) switch
    {
        (AssignmentState.Sent, AssignmentState.Accepted or AssignmentState.Declined or AssignmentState.Reported) => true,
        (AssignmentState.Accepted, AssignmentState.Reported or AssignmentState.Declined) => true,
        // A verifier who declined and then finds they can go after all.
        (AssignmentState.Declined, AssignmentState.Accepted) => true,
        _ => false,
    };

    /// <summary>
    /// Whether the verifier may record the sighting's outcome: only while going (sent, accepted, or already reported — the sighting's own rules then decide). One who declined
    /// said they are not there; an outcome from them would be a confirmation nobody checked. Accepting again lifts it.
    /// </summary>
    public bool MayRecordOutcome => State != AssignmentState.Declined;

    public bool MoveTo(AssignmentState to, DateTimeOffset now)
    {
        if (State == to) return true;
        if (!CanMove(State, to)) return false;
        State = to;
        AnsweredAt = now;
        return true;
    }
}

/// <summary>A verifier as dispatch sees them.</summary>
public sealed record RosterEntry(string Id, string Email, bool OnDuty, int? HomeZoneId, bool Reachable);

/// <summary>Who to send: the nearest on-duty verifiers not already sent, by distance from their home zone.</summary>
public static class Roster
{
    /// <summary>Metres from a verifier's home zone to a place: 0 inside the zone; null when either is unknown.</summary>
    public static double? Distance(RosterEntry v, GeoPoint? at, ZoneCatalog zones) =>
        at is { } p && v.HomeZoneId is { } z && zones.Find(z) is { } shape ? shape.DistanceTo(p) : null;

    public static List<(RosterEntry Verifier, double? Meters)> Nearest(
        IEnumerable<RosterEntry> roster, GeoPoint? at, ZoneCatalog zones, ISet<string> alreadySent, int count) =>
        roster.Where(v => v.OnDuty && !alreadySent.Contains(v.Id))
            .Select(v => (Verifier: v, Meters: Distance(v, at, zones)))
            // Known distances first, nearest first; those without a home zone after them; ties by id for a stable pick.
            .OrderBy(x => x.Meters is null).ThenBy(x => x.Meters).ThenBy(x => x.Verifier.Id, StringComparer.Ordinal)
            .Take(count)
            .ToList();
}
