namespace Whistle.Submissions;

/// <summary>Where a bystander's submission is: files still arriving, waiting for a documenter, in an incident file, or turned down.</summary>
public enum SubmissionState { Uploading, Received, Attached, Rejected }

/// <summary>What the person who recorded it allows (issue 15): lawyers only, published with faces blurred, or published.</summary>
public enum SubmissionConsent { LawyersOnly, PublishBlurred, Publish }

/// <summary>
/// What a bystander or witness sent through the public <c>/evidence</c> page (no account): a few words on what, where and
/// when, a consent, an optional contact, and one or more files uploaded resumably (tus, <see cref="SubmissionFile"/>).
/// Its own custody chain (custody entries whose IncidentId is this submission's <see cref="Id"/>) records each file's
/// hash as the phone computed it and as the server recomputed it; attaching it to an incident continues in the
/// incident's chain. The receipt code lets the submitter look up its state, and nothing else.
/// </summary>
public class Submission
{
    public const int MaxWhatLength = 2000;
    public const int MaxPlaceLength = 200;
    public const int MaxContactLength = 200;
    public const int MaxReasonLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Short code the submitter keeps (e.g. "K7QM-2XRD-94TB"): unique, random, not derived from anything else.</summary>
    public string ReceiptCode { get; set; } = "";
    /// <summary>Keyed hash of a secret the page holds for this submission: only its holder may add files (tus creation).</summary>
    public byte[] UploadSecretHash { get; set; } = [];
    public SubmissionState State { get; set; }
    public SubmissionConsent Consent { get; set; }
    /// <summary>The submitter asks that faces be blurred in anything published (a documenter may also set it).</summary>
    public bool BlurRequested { get; set; }
    /// <summary>The page's language when sent (en, es, so, hmn): any message back is in it.</summary>
    public string Language { get; set; } = "en";
    /// <summary>The active alert it was tied to, if any.</summary>
    public Guid? AlertId { get; set; }
    /// <summary>The sighting it was tied to (from a link the network shared), if any.</summary>
    public Guid? SightingId { get; set; }
    /// <summary>What the submitter wrote about what happened: AES-GCM (<see cref="Privacy.Purpose.SubmissionText"/>).</summary>
    public byte[]? WhatCipher { get; set; }
    /// <summary>Where, as written: AES-GCM (<see cref="Privacy.Purpose.SubmissionText"/>).</summary>
    public byte[]? PlaceCipher { get; set; }
    /// <summary>Where, as a point the page gave (optional): AES-GCM "lat,lon" (<see cref="Privacy.Purpose.SubmissionText"/>).</summary>
    public byte[]? PositionCipher { get; set; }
    /// <summary>When it happened, as the submitter says.</summary>
    public DateTimeOffset? ObservedAt { get; set; }
    /// <summary>An optional way to reach the submitter (phone or e-mail): AES-GCM (<see cref="Privacy.Purpose.SubmitterContact"/>); wiped at <see cref="ContactPurgeAt"/>.</summary>
    public byte[]? ContactCipher { get; set; }
    public DateTimeOffset? ContactPurgeAt { get; set; }
    /// <summary>When a documenter sent the submitter the one message allowed through their contact.</summary>
    public DateTimeOffset? MessagedAt { get; set; }
    /// <summary>Keyed hash of the sender's network prefix (/24, /48) for the upload budgets; never the address; wiped with the contact.</summary>
    public byte[]? SourceHash { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>When its last file finished arriving (state Uploading → Received).</summary>
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>The incident it was attached to.</summary>
    public Guid? IncidentId { get; set; }
    public string? RejectReason { get; set; }
    public string? ReviewedBy { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }
    public List<SubmissionFile> Files { get; set; } = [];
}

/// <summary>
/// One file of a <see cref="Submission"/>, uploaded with tus 1.0. Declared first (name, type, size, the SHA-256 the
/// phone computed); bytes arrive in PATCHes into an encrypted staging file; when the last byte is in, the server
/// recomputes the SHA-256, refuses a mismatch, checks the magic number, and moves the file into the evidence store
/// (sealed, named by a keyed hash of its SHA-256).
/// </summary>
public class SubmissionFile
{
    public long Id { get; set; }
    public Guid SubmissionId { get; set; }
    /// <summary>The tus upload's id: 128 random bits, base32; the upload URL is /api/v1/uploads/{UploadId}.</summary>
    public string UploadId { get; set; } = "";
    public string FileName { get; set; } = "";
    public string MediaType { get; set; } = "";
    /// <summary>Upload-Length: the whole file's size in bytes.</summary>
    public long Length { get; set; }
    /// <summary>Upload-Offset: how many bytes have arrived.</summary>
    public long Offset { get; set; }
    /// <summary>Lower-case hex SHA-256 the submitter's phone computed before sending.</summary>
    public string ClientSha256 { get; set; } = "";
    /// <summary>Lower-case hex SHA-256 the server computed over what arrived; null until complete.</summary>
    public string? Sha256 { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>The evidence item it became when the submission was attached to an incident.</summary>
    public long? EvidenceItemId { get; set; }
}
