using Whistle.Network;
using Whistle.Reports;

namespace Whistle.Incidents;

public enum IncidentCategory { Arrest, Detention, HomeRaid, WorkplaceRaid, UseOfForce, Shooting, Death, Other }
public enum IncidentStatus { Open, Referred, Closed }

/// <summary>
/// An incident file: what happened, where and when, who was affected (counts; names only with the family's
/// consent, encrypted), and its status. Everything in it is documented, never asserted: statements are
/// attributed claims, and the custody log records every action on it.
/// </summary>
public class Incident
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Title { get; set; } = "";
    public DateTimeOffset OccurredAt { get; set; }
    /// <summary>Where, as text (street corner, neighbourhood).</summary>
    public string? Place { get; set; }
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public IncidentCategory Category { get; set; }
    /// <summary>Agencies involved, comma separated wire names of <see cref="Agency"/>.</summary>
    public string Agencies { get; set; } = "";
    public int PeopleAffected { get; set; }
    public int Injured { get; set; }
    public int Deaths { get; set; }
    /// <summary>Names of people affected: only when the family consents (<see cref="NamesConsent"/>), encrypted.</summary>
    public byte[]? NamesCipher { get; set; }
    public bool NamesConsent { get; set; }
    public IncidentStatus Status { get; set; }
    /// <summary>Before issue 13 the status note in clear; always null since (kept only so old databases need no table rebuild).</summary>
    public string? StatusNote { get; set; }
    /// <summary>A word on the status, e.g. "investigation pending", encrypted (<see cref="Privacy.Purpose.IncidentNote"/>); read it with <see cref="SealedTexts.NoteOf"/>.</summary>
    public byte[]? StatusNoteCipher { get; set; }
    /// <summary>Listed (anonymised) in the public registry.</summary>
    public bool Published { get; set; }
    public Guid? SightingId { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One entry of the timeline: when, according to whom, what.</summary>
public class TimelineEntry
{
    public long Id { get; set; }
    public Guid IncidentId { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>How precisely <see cref="At"/> is known: a source that gives only the day is stored and shown as that day.</summary>
    public TimePrecision Precision { get; set; }
    /// <summary>Where this comes from: "witness 2", "bystander video E3", "DHS statement", "article".</summary>
    public string Source { get; set; } = "";
    public string Text { get; set; } = "";
    /// <summary>Sources disagree on this entry (the other version is another entry).</summary>
    public bool Disputed { get; set; }
    public string AddedBy { get; set; } = "";
    public DateTimeOffset AddedAt { get; set; }
}

public enum ConsentScope { None, Internal, Legal, Public }

/// <summary>A witness's account, with the consent they gave; their name and contact encrypted at rest.</summary>
public class WitnessStatement
{
    public long Id { get; set; }
    public Guid IncidentId { get; set; }
    /// <summary>Before issue 13 the statement in clear; always null since (kept only so old databases need no table rebuild).</summary>
    public string? Text { get; set; }
    /// <summary>The statement, encrypted (<see cref="Privacy.Purpose.WitnessText"/>); read it with <see cref="SealedTexts.TextOf"/>.</summary>
    public byte[]? TextCipher { get; set; }
    /// <summary>An audio recording of the statement: an evidence item of this incident.</summary>
    public long? AudioEvidenceId { get; set; }
    /// <summary>What the witness agreed to: kept in the file only, shared with lawyers, or quoted publicly (anonymised).</summary>
    public ConsentScope Consent { get; set; }
    public DateTimeOffset? ConsentAt { get; set; }
    public byte[]? NameCipher { get; set; }
    public byte[]? ContactCipher { get; set; }
    public DateTimeOffset TakenAt { get; set; }
    public string TakenBy { get; set; } = "";
}

/// <summary>
/// A file (photo, video, audio, document) in the evidence store, encrypted at rest: known by the SHA-256 of the bytes
/// received, never modified. Metadata is what the uploader states, and the capture time the file itself carries.
/// </summary>
public class EvidenceItem
{
    public long Id { get; set; }
    public Guid IncidentId { get; set; }
    /// <summary>Lower-case hex SHA-256 of the file as received.</summary>
    public string Sha256 { get; set; } = "";
    public long Size { get; set; }
    public string MediaType { get; set; } = "";
    public string FileName { get; set; } = "";
    public string? Description { get; set; }
    public DateTimeOffset? CapturedAt { get; set; }
    public string? Device { get; set; }
    /// <summary>The app the file was made or sent with, when the uploader or its client says.</summary>
    public string? App { get; set; }
    /// <summary>When the file's own metadata says it was captured (EXIF, the movie header), read on intake.</summary>
    public DateTimeOffset? FileCapturedAt { get; set; }
    /// <summary>Where in the file <see cref="FileCapturedAt"/> was read: exif:DateTimeOriginal, mp4:mvhd, mp4:©day….</summary>
    public string? FileCapturedFrom { get; set; }
    /// <summary>Where it was captured, as the uploader states it.</summary>
    public string? LocationText { get; set; }
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    /// <summary>An image's or video's public copy, location metadata stripped (its own hash in the store); null when none.</summary>
    public string? PublicSha256 { get; set; }
    public string AddedBy { get; set; } = "";
    public DateTimeOffset AddedAt { get; set; }
}

/// <summary>What someone said — attributed, never asserted by the network.</summary>
public class Claim
{
    public long Id { get; set; }
    public Guid IncidentId { get; set; }
    public string ClaimantName { get; set; } = "";
    public string? ClaimantRole { get; set; }
    public string? Organisation { get; set; }
    public string Text { get; set; } = "";
    public DateTimeOffset? SaidAt { get; set; }
    /// <summary>Where it was said: a press conference, a post, an interview.</summary>
    public string? Venue { get; set; }
    public string? SourceUrl { get; set; }
    public bool Disputed { get; set; }
    public string? DisputeNote { get; set; }
    public string AddedBy { get; set; } = "";
    public DateTimeOffset AddedAt { get; set; }
    public List<ClaimEvidence> Evidence { get; set; } = [];
}

public enum ClaimStance { Supports, Contradicts }

public class ClaimEvidence
{
    public long ClaimId { get; set; }
    public long EvidenceId { get; set; }
    public ClaimStance Stance { get; set; }
    public string? Note { get; set; }
}

public enum FollowUpKind { LegalReferral, FamilySupport, Other }

public class FollowUp
{
    public long Id { get; set; }
    public Guid IncidentId { get; set; }
    public FollowUpKind Kind { get; set; }
    /// <summary>Before issue 13 the description in clear; always "" since (the column is NOT NULL; kept so old databases need no table rebuild).</summary>
    public string Description { get; set; } = "";
    /// <summary>What is to be done, encrypted (<see cref="Privacy.Purpose.FollowUpDescription"/>); read it with <see cref="SealedTexts.DescriptionOf"/>.</summary>
    public byte[]? DescriptionCipher { get; set; }
    /// <summary>Who owns it (a staff e-mail or a partner organisation).</summary>
    public string Owner { get; set; } = "";
    public DateTimeOffset? DueAt { get; set; }
    public bool Done { get; set; }
    public DateTimeOffset? DoneAt { get; set; }
}
