using Whistle.Geo;
using Whistle.Reports;

namespace Whistle.Verification;

public enum SightingState { New, Verifying, Confirmed, FalseAlarm, Unconfirmed, Resolved }

/// <summary>
/// Reports of the same activity, merged. A sighting is what verifiers check and what an alert
/// is sent from; its state machine is the "verify before broadcast" rule.
/// </summary>
public class Sighting
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public SightingState State { get; set; } = SightingState.New;
    public Activity Activity { get; set; }
    /// <summary>Where agents were seen: in memory only, stored as <see cref="PositionCipher"/> (<see cref="Privacy.ReportSealing"/>) —
    /// a sighting started by one report sits at that report's exact position.</summary>
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public byte[]? PositionCipher { get; set; }
    /// <summary>The first report's place text: in memory only, stored as <see cref="PlaceCipher"/> (<see cref="Privacy.ReportSealing"/>).</summary>
    public string? PlaceText { get; set; }
    public byte[]? PlaceCipher { get; set; }
    /// <summary>Set when housekeeping coarsened it (<see cref="Privacy.RetentionRules"/>): position → neighbourhood, place → its name.</summary>
    public DateTimeOffset? CoarsenedAt { get; set; }
    public int ReportCount { get; set; }
    /// <summary>Distinct sources among its reports (networks, numbers, trusted reporters): what corroboration means.</summary>
    public int SourceCount { get; set; }
    /// <summary>At least one of its reports came with a trusted reporter's link.</summary>
    public bool Trusted { get; set; }
    public DateTimeOffset FirstReportAt { get; set; }
    public DateTimeOffset LastReportAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<SightingTransition> Transitions { get; set; } = [];

    public GeoPoint? Location => Lat is { } lat && Lon is { } lon ? new GeoPoint(lat, lon) : null;

    /// <summary>States a new report may still join; a closed sighting starts a new one.</summary>
    public bool IsOpen => State is SightingState.New or SightingState.Verifying or SightingState.Confirmed;

    public static Sighting StartFrom(Report report, DateTimeOffset now)
    {
        var s = new Sighting
        {
            Activity = report.Activity,
            Lat = report.Lat,
            Lon = report.Lon,
            PlaceText = report.PlaceText,
            FirstReportAt = report.ObservedAt,
            LastReportAt = report.ObservedAt,
            UpdatedAt = now,
        };
        s.Absorb(report, now, first: true, newSource: true);
        return s;
    }

    /// <summary>
    /// Adds a report: the location becomes the mean of the located reports; a source not heard on this sighting
    /// before adds to <see cref="SourceCount"/>, a trusted report marks it trusted.
    /// </summary>
    public void Absorb(Report report, DateTimeOffset now, bool first = false, bool newSource = true)
    {
        report.SightingId = Id;
        if (newSource) SourceCount++;
        if (report.Trusted) Trusted = true;
        if (!first && report.Location is { } p)
        {
            int located = LocatedReports;
            Lat = ((Lat ?? 0) * located + p.Lat) / (located + 1);
            Lon = ((Lon ?? 0) * located + p.Lon) / (located + 1);
        }
        if (report.Location is not null) LocatedReports++;
        PlaceText ??= report.PlaceText;
        ReportCount++;
        if (report.ObservedAt > LastReportAt) LastReportAt = report.ObservedAt;
        if (report.ObservedAt < FirstReportAt) FirstReportAt = report.ObservedAt;
        UpdatedAt = now;
    }

    public int LocatedReports { get; set; }

    /// <summary>How a dispatcher placed the sighting ("pin", "zone", "gazetteer"); null while its position is its reports'.</summary>
    public string? PlacedHow { get; set; }
    /// <summary>The zone a dispatcher placed it in ("zone"): the position is only as precise as the zone.</summary>
    public int? PlacedZoneId { get; set; }

    public static readonly string[] PlacementKinds = ["pin", "zone", "gazetteer"];

    /// <summary>
    /// A dispatcher puts the sighting on the map (or moves it), recorded in its history with who, how and where.
    /// An alert can only go where the sighting is: until then it has no position and cannot be alerted.
    /// </summary>
    public SightingTransition Place(GeoPoint at, string how, int? zoneId, string label, string actor, DateTimeOffset now)
    {
        if (!PlacementKinds.Contains(how)) throw new ArgumentOutOfRangeException(nameof(how));
        if (!GeoPoint.IsValid(at.Lat, at.Lon)) throw new ArgumentOutOfRangeException(nameof(at));
        bool moved = Location is not null;
        (Lat, Lon) = (Math.Round(at.Lat, 5), Math.Round(at.Lon, 5));
        (PlacedHow, PlacedZoneId) = (how, how == "zone" ? zoneId : null);
        UpdatedAt = now;
        var t = new SightingTransition
        {
            SightingId = Id,
            From = State,
            To = State,
            Actor = actor,
            Note = $"{(moved ? "moved" : "placed")} by {how}: {label} ({Lat:F5}, {Lon:F5})",
            At = now,
        };
        Transitions.Add(t);
        return t;
    }

    /// <summary>Rounds of automatic escalation done (<see cref="Escalation"/>): more verifiers asked because nobody accepted in time.</summary>
    public int Escalations { get; set; }
    /// <summary>Automatic escalation stopped: nobody on duty was left to ask, or the rounds ran out. The dispatcher was told.</summary>
    public bool EscalationStopped { get; set; }

    public static bool CanMove(SightingState from, SightingState to) => (from, to) switch
    {
        (SightingState.New, SightingState.Verifying) => true,
        (SightingState.Verifying, SightingState.Verifying) => true, // a second verifier sent
        (SightingState.New or SightingState.Verifying,
            SightingState.Confirmed or SightingState.FalseAlarm or SightingState.Unconfirmed) => true,
        (SightingState.Confirmed, SightingState.Resolved) => true,
        // A confirmed sighting later shown to be false is retracted, never silently dropped.
        (SightingState.Confirmed, SightingState.FalseAlarm) => true,
        _ => false,
    };

    /// <summary>Moves the sighting, recording who, when and why; refuses what the rules forbid.</summary>
    public SightingTransition MoveTo(SightingState to, string actor, string? note, DateTimeOffset now)
    {
        if (!CanMove(State, to))
            throw new InvalidTransitionException(State, to);
        var t = new SightingTransition
        {
            SightingId = Id,
            From = State,
            To = to,
            Actor = actor,
            Note = note,
            At = now,
        };
        State = to;
        UpdatedAt = now;
        Transitions.Add(t);
        return t;
    }
}

public class SightingTransition
{
    public long Id { get; set; }
    public Guid SightingId { get; set; }
    public SightingState From { get; set; }
    public SightingState To { get; set; }
    public string Actor { get; set; } = "";
    public string? Note { get; set; }
    public DateTimeOffset At { get; set; }
}

public sealed class InvalidTransitionException(SightingState from, SightingState to)
    : InvalidOperationException($"A sighting that is {Names.Of(from)} cannot become {Names.Of(to)}.")
{
    public SightingState From { get; } = from;
    public SightingState To { get; } = to;
}

/// <summary>The wire names of states (snake_case), used in messages and JSON alike.</summary>
public static class Names
{
    public static string Of<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}

/// <summary>The merge rule: same place (within a distance) and same time (within a window).</summary>
public sealed record ClusterRule(double DistanceMeters = 500, TimeSpan? Window = null)
{
    public TimeSpan TimeWindow => Window ?? TimeSpan.FromMinutes(30);

    // Metres per degree of latitude along a meridian, rounded down: two points further apart in latitude alone than the
    // distance are further apart than the distance (a great circle is never shorter than the latitudes' difference).
    private const double MetresPerDegreeLatitude = 111_000;

    public bool Joins(Sighting s, Report r) => JoinDistance(s, r) is not null;

    /// <summary>How far the report is from the sighting when it joins it; null when it does not (closed, too late, too far).</summary>
    private double? JoinDistance(Sighting s, Report r)
    {
        if (!s.IsOpen || s.Lat is not { } sLat || s.Lon is not { } sLon || r.Lat is not { } rLat || r.Lon is not { } rLon) return null;
        bool inTime = r.ObservedAt >= s.FirstReportAt - TimeWindow && r.ObservedAt <= s.LastReportAt + TimeWindow;
        // The cheap test first (issue 16 §3: each batch of reports is checked against every open sighting of the hour).
        if (!inTime || Math.Abs(sLat - rLat) * MetresPerDegreeLatitude > DistanceMeters) return null;
        var d = Geo.GeoPoint.Distance(sLat, sLon, rLat, rLon);
        return d <= DistanceMeters ? d : null;
    }

    /// <summary>The nearest open sighting the report joins, or null for a new one (of equally near ones, the first).</summary>
    public Sighting? Pick(IEnumerable<Sighting> candidates, Report r)
    {
        Sighting? best = null;
        double bestDistance = double.MaxValue;
        foreach (var s in candidates)
            if (JoinDistance(s, r) is { } d && d < bestDistance) (best, bestDistance) = (s, d);
        return best;
    }
}
