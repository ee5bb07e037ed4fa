namespace Whistle.Reports;

public enum Activity { HomeRaid, WorkplaceRaid, Checkpoint, Arrest, Patrol, Other }
public enum Agency { Ice, Cbp, Police, Unknown, Other }
public enum ReportChannel { Web, Sms, Hotline, Api }

/// <summary>
/// One person's account of what they saw, in the SALUTE shape rapid-response hotlines use:
/// Size (agents, vehicles), Activity, Location, Uniform (agency), Time, Equipment.
/// </summary>
public class Report
{
    public const int MaxTextLength = 2000;
    public const int MaxPlaceLength = 200;
    public const int MaxEquipmentLength = 200;
    public const int MaxContactLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>The sighting it was filed to; null while it waits in a surge (<see cref="SurgeId"/>).</summary>
    public Guid? SightingId { get; set; }
    /// <summary>The surge that held it when it came in past the intake budget (kept after a promotion, for the record).</summary>
    public Guid? SurgeId { get; set; }
    /// <summary>The intake area (grid cell, <see cref="IntakeArea"/>) it was counted in.</summary>
    public string? Area { get; set; }
    /// <summary>
    /// Who sent it, as a keyed hash (<see cref="Sources"/>): of the network (/24, /48) for the web, of the number for
    /// SMS, of the trusted reporter for a personal link. Never the address itself; cleared by housekeeping.
    /// </summary>
    public byte[]? SourceHash { get; set; }
    /// <summary>Sent with a trusted reporter's personal link.</summary>
    public long? TrustedReporterId { get; set; }
    public bool Trusted => TrustedReporterId is not null;
    public ReportChannel Channel { get; set; }
    public Activity Activity { get; set; }
    /// <summary>Where the reporter says it was (often where they stood): in memory only, stored as <see cref="PositionCipher"/>.</summary>
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    /// <summary>The place as the reporter wrote it (often an address): stored as <see cref="PlaceCipher"/>.</summary>
    public string? PlaceText { get; set; }
    public int? Agents { get; set; }
    public int? Vehicles { get; set; }
    public Agency Agency { get; set; } = Agency.Unknown;
    public DateTimeOffset ObservedAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public string? Equipment { get; set; }
    /// <summary>What the reporter wrote (officers' names, sometimes their own): stored as <see cref="TextCipher"/>.</summary>
    public string? Text { get; set; }

    /// <summary>
    /// The exact position, the text and the place text, AES-GCM encrypted with the key ring (<see cref="Privacy.ReportSealing"/>):
    /// sealed when saved, opened when read, never in the database in clear. Wiped when the report is coarsened.
    /// </summary>
    public byte[]? PositionCipher { get; set; }
    public byte[]? TextCipher { get; set; }
    public byte[]? PlaceCipher { get; set; }
    /// <summary>Set when housekeeping coarsened it (<see cref="Privacy.RetentionRules"/>): position → neighbourhood, text gone.</summary>
    public DateTimeOffset? CoarsenedAt { get; set; }

    /// <summary>Call-back contact, AES-GCM encrypted; wiped at <see cref="ContactPurgeAt"/>.</summary>
    public byte[]? ContactCipher { get; set; }
    public DateTimeOffset? ContactPurgeAt { get; set; }

    public Geo.GeoPoint? Location => Lat is { } lat && Lon is { } lon ? new Geo.GeoPoint(lat, lon) : null;
}
