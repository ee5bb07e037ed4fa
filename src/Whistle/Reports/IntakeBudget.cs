using System.Globalization;
using System.Net;
using Whistle.Privacy;

namespace Whistle.Reports;

/// <summary>Whistle:Intake:* — how many reports a minute reach the dispatcher's queue before the rest are held in a surge.</summary>
public sealed class IntakeOptions
{
    /// <summary>Reports a minute, network-wide, that become or join sightings (reports held in a surge do not count).</summary>
    public int NetworkPerMinute { get; set; } = 40;
    /// <summary>Reports a minute from one area (grid cell) before the area's reports are held in a surge.</summary>
    public int AreaPerMinute { get; set; } = 15;
    /// <summary>The side of an area's grid cell, in degrees of latitude and longitude (0.02° ≈ 2 km).</summary>
    public double AreaCellDegrees { get; set; } = 0.02;
    /// <summary>A surge keeps holding its area's reports until it has been quiet this long.</summary>
    public double QuietMinutes { get; set; } = 3;
}

/// <summary>Where the lane decision sends a report.</summary>
public enum IntakeLane { Queue, AreaSurge, NetworkSurge }

/// <summary>
/// The intake budget: a flood cannot fill the dispatcher's queue. Past the area budget, or while the area's surge
/// is still active, a report is held in the area's surge; past the network-wide budget, a report from a source
/// already heard in the last minute is held in the network's surge, while a source heard for the first time still
/// reaches the queue (so a real report made during a flood from elsewhere is not buried). Trusted reporters always
/// reach the queue. Held reports are stored all the same: the surge is one item the dispatcher opens.
/// </summary>
public sealed record IntakeBudget(int NetworkPerMinute, int AreaPerMinute, TimeSpan Quiet)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static IntakeBudget From(IntakeOptions o) =>
        new(Math.Max(1, o.NetworkPerMinute), Math.Max(1, o.AreaPerMinute), TimeSpan.FromMinutes(Math.Max(0, o.QuietMinutes)));

    /// <param name="trusted">The report came with a trusted reporter's link.</param>
    /// <param name="queuedLastMinute">Reports that reached the queue network-wide in the last minute (not counting this one).</param>
    /// <param name="areaLastMinute">Reports received from the area in the last minute, held or not (not counting this one).</param>
    /// <param name="areaSurgeLastReportAt">The last report of the area's open surge, if it has one.</param>
    /// <param name="sourceLastMinute">Reports from the same source in the last minute (not counting this one).</param>
    public IntakeLane Decide(bool trusted, int queuedLastMinute, int areaLastMinute, DateTimeOffset? areaSurgeLastReportAt,
        int sourceLastMinute, DateTimeOffset now)
    {
        if (trusted) return IntakeLane.Queue;
        if (areaSurgeLastReportAt is { } last && now - last < Quiet) return IntakeLane.AreaSurge;
        if (areaLastMinute >= AreaPerMinute) return IntakeLane.AreaSurge;
        if (queuedLastMinute >= NetworkPerMinute && sourceLastMinute > 0) return IntakeLane.NetworkSurge;
        return IntakeLane.Queue;
    }
}

/// <summary>The intake area of a report: a grid cell of <see cref="IntakeOptions.AreaCellDegrees"/>, or "unlocated".</summary>
public static class IntakeArea
{
    public const string Network = "network";
    public const string Unlocated = "unlocated";

    public static string Of(double? lat, double? lon, double cellDegrees)
    {
        if (lat is not { } la || lon is not { } lo) return Unlocated;
        var c = cellDegrees > 0 ? cellDegrees : 0.02;
        long row = (long)Math.Floor(la / c), col = (long)Math.Floor(lo / c);
        return string.Create(CultureInfo.InvariantCulture, $"{row}:{col}@{c}");
    }

    /// <summary>The centre of an area's cell (null for "unlocated" and "network").</summary>
    public static (double Lat, double Lon)? Centre(string area)
    {
        var at = area.IndexOf('@');
        var colon = area.IndexOf(':');
        if (at < 0 || colon < 0 || colon > at) return null;
        if (!long.TryParse(area[..colon], CultureInfo.InvariantCulture, out var row)
            || !long.TryParse(area[(colon + 1)..at], CultureInfo.InvariantCulture, out var col)
            || !double.TryParse(area[(at + 1)..], CultureInfo.InvariantCulture, out var c)) return null;
        return ((row + 0.5) * c, (col + 0.5) * c);
    }
}

/// <summary>
/// Who sent a report, as a keyed hash (HMAC with the key ring's look-up key), so corroboration can count distinct
/// sources without Whistle ever storing an address: the /24 (IPv4) or /48 (IPv6) network for the web — one
/// household, office or phone carrier's pool counts once — the number for SMS, the person for a trusted link.
/// </summary>
public static class Sources
{
    public static byte[] Web(IPAddress? address, KeyRing keys) =>
        keys.Hash("source:web:" + (address is null ? "unknown" : Platform.ClientSource.Prefix(address)));

    public static byte[] Sms(string number, KeyRing keys) => keys.Hash("source:sms:" + number);

    public static byte[] Trusted(long reporterId, KeyRing keys) => keys.Hash("source:trusted:" + reporterId.ToString(CultureInfo.InvariantCulture));

    /// <summary>A call taken by staff: each caller counts as a source of their own.</summary>
    public static byte[] Hotline(Guid reportId, KeyRing keys) => keys.Hash("source:hotline:" + reportId);
}

public enum SurgeState { Open, Dismissed }

/// <summary>
/// Reports that came in past the intake budget, held together as one item in the dispatcher's queue:
/// "312 reports from 40 sources in 2 minutes around X". Nothing in it is lost: the dispatcher opens it,
/// reads the reports, promotes any to a sighting, or dismisses the surge.
/// </summary>
public class Surge
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>The intake area (<see cref="IntakeArea"/>), or "network" for reports past the network-wide budget.</summary>
    public string Area { get; set; } = "";
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    /// <summary>The first report's place text: in memory only, stored as <see cref="PlaceCipher"/> (<see cref="Privacy.ReportSealing"/>).</summary>
    public string? PlaceText { get; set; }
    public byte[]? PlaceCipher { get; set; }
    public SurgeState State { get; set; }
    public DateTimeOffset FirstReportAt { get; set; }
    public DateTimeOffset LastReportAt { get; set; }
    public int ReportCount { get; set; }
    public int SourceCount { get; set; }
    public int PromotedCount { get; set; }
    public string? DismissedBy { get; set; }
    public DateTimeOffset? DismissedAt { get; set; }

    public static Surge Start(string area, Report first, DateTimeOffset now)
    {
        var centre = IntakeArea.Centre(area);
        return new Surge
        {
            Area = area,
            Lat = centre?.Lat,
            Lon = centre?.Lon,
            PlaceText = first.PlaceText,
            State = SurgeState.Open,
            FirstReportAt = now,
            LastReportAt = now,
        };
    }

    /// <summary>Holds a report (by its received time: the surge is about the flood, not about when things were seen).</summary>
    public void Hold(Report report, bool newSource)
    {
        report.SurgeId = Id;
        report.SightingId = null;
        ReportCount++;
        if (newSource) SourceCount++;
        PlaceText ??= report.PlaceText;
        if (report.ReceivedAt > LastReportAt) LastReportAt = report.ReceivedAt;
        if (report.ReceivedAt < FirstReportAt) FirstReportAt = report.ReceivedAt;
    }

    public bool Dismiss(string actor, DateTimeOffset now)
    {
        if (State == SurgeState.Dismissed) return false;
        State = SurgeState.Dismissed;
        DismissedBy = actor;
        DismissedAt = now;
        return true;
    }
}
