namespace Whistle.Network;

/// <summary>The one network this installation runs: its name, time zone and help text.</summary>
public class NetworkProfile
{
    public int Id { get; set; } = 1;
    public string Name { get; set; } = "Whistle network";
    public string TimeZone { get; set; } = "UTC";
    public bool Demo { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Bumped when zones are imported; every instance reloads its zone catalogue when it sees a newer one.</summary>
    public DateTimeOffset? ZonesChangedAt { get; set; }
    /// <summary>Retention periods set by an admin; null means the configured default (Whistle:Retention:*).</summary>
    public double? ReporterContactHours { get; set; }
    public double? UnsubscribedAddressHours { get; set; }
    public double? DeliveryRecordDays { get; set; }
    /// <summary>Reports and sightings not in an incident file are coarsened after, and deleted after, these many days (issue 13).</summary>
    public double? CoarsenReportDays { get; set; }
    public double? DeleteReportDays { get; set; }
    /// <summary>The roles that must log in with a second factor, comma-separated; null: admin and dispatcher (none on a demo network).</summary>
    public string? SecondFactorRoles { get; set; }
    /// <summary>The two-person rule: an alert to more than this many recipients waits for a second dispatcher's approval; null: off.</summary>
    public int? TwoPersonAbove { get; set; }
}

public class Zone
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public int? Number { get; set; }
    /// <summary>The polygon as a GeoJSON geometry (RFC 7946, WGS 84).</summary>
    public string GeoJson { get; set; } = "";
}
