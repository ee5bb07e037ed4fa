using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Whistle.Privacy;

namespace Whistle.Incidents;

/// <summary>
/// What the custody log hashes for each kind of record (<see cref="RecordForm"/>): its fields, in a fixed order,
/// each as a canonical text (times as Unix milliseconds, numbers invariant), as JSON. An encrypted field is hashed
/// as a keyed hash (HMAC, <see cref="KeyRing.Hash"/>) of its PLAINTEXT with a purpose prefix — not its cipher
/// text, so re-encryption under a rotated key is no edit, and the hash lets nobody guess a name. Each entry also
/// keeps a 16-hex digest per field, so verify names the field that changed. A witness's text, an incident's status note
/// and a follow-up's description are encrypted too (<see cref="SealedTexts"/>): a row not yet encrypted (before the
/// start-up upgrade) is hashed with its clear value, so encrypting it changes the form and is resealed.
/// </summary>
/// <remarks>
/// <see cref="RecordForm.LegacyHash"/> is the v1 form (before issue 13: stored values, cipher text as stored), kept
/// to verify entries written before the upgrade and to reseal them once (<see cref="CustodyUpgrade"/>).
/// </remarks>
public static class IncidentRecords
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    public static RecordForm Form(Incident i, KeyRing keys) => Build("incident", i.Id.ToString("D"), [
        ("id", i.Id.ToString("D")), ("title", i.Title), ("occurredAt", T(i.OccurredAt)), ("place", i.Place), ("lat", N(i.Lat)), ("lon", N(i.Lon)),
        ("category", N((int)i.Category)), ("agencies", i.Agencies), ("peopleAffected", N(i.PeopleAffected)), ("injured", N(i.Injured)),
        ("deaths", N(i.Deaths)), ("names", Sealed(keys, i.NamesCipher, Purpose.AffectedNames)), ("namesConsent", B(i.NamesConsent)),
        ("status", N((int)i.Status)), ("statusNote", Sealed(keys, i.StatusNoteCipher, Purpose.IncidentNote) ?? i.StatusNote), ("published", B(i.Published)), ("sightingId", i.SightingId?.ToString("D")),
        ("createdBy", i.CreatedBy), ("createdAt", T(i.CreatedAt)), ("updatedAt", T(i.UpdatedAt)),
    ], Legacy(new
    {
        i.Id, i.Title, i.OccurredAt, i.Place, i.Lat, i.Lon, Category = (int)i.Category, i.Agencies, i.PeopleAffected, i.Injured, i.Deaths,
        i.NamesCipher, i.NamesConsent, Status = (int)i.Status, StatusNote = i.NoteOf(keys), i.Published, i.SightingId, i.CreatedBy, i.CreatedAt, i.UpdatedAt,
    }));

    public static RecordForm Form(TimelineEntry t, KeyRing keys) => Build("timeline", Id(t.Id), [
        ("id", Id(t.Id)), ("incidentId", t.IncidentId.ToString("D")), ("at", T(t.At)), ("precision", N((int)t.Precision)), ("source", t.Source),
        ("text", t.Text), ("disputed", B(t.Disputed)), ("addedBy", t.AddedBy), ("addedAt", T(t.AddedAt)),
    ], Legacy(new { t.Id, t.IncidentId, t.At, t.Source, t.Text, t.Disputed, t.AddedBy, t.AddedAt }));

    public static RecordForm Form(WitnessStatement w, KeyRing keys) => Build("witness", Id(w.Id), [
        ("id", Id(w.Id)), ("incidentId", w.IncidentId.ToString("D")), ("text", Sealed(keys, w.TextCipher, Purpose.WitnessText) ?? w.Text), ("audioEvidenceId", w.AudioEvidenceId is { } a ? Id(a) : null),
        ("consent", N((int)w.Consent)), ("consentAt", T(w.ConsentAt)), ("name", Sealed(keys, w.NameCipher, Purpose.WitnessName)),
        ("contact", Sealed(keys, w.ContactCipher, Purpose.WitnessContact)), ("takenAt", T(w.TakenAt)), ("takenBy", w.TakenBy),
    ], Legacy(new
    {
        w.Id, w.IncidentId, Text = w.TextOf(keys), w.AudioEvidenceId, Consent = (int)w.Consent, w.ConsentAt, w.NameCipher, w.ContactCipher, w.TakenAt, w.TakenBy,
    }));

    public static RecordForm Form(Claim c, KeyRing keys) => Build("claim", Id(c.Id), [
        ("id", Id(c.Id)), ("incidentId", c.IncidentId.ToString("D")), ("claimantName", c.ClaimantName), ("claimantRole", c.ClaimantRole),
        ("organisation", c.Organisation), ("text", c.Text), ("saidAt", T(c.SaidAt)), ("venue", c.Venue), ("sourceUrl", c.SourceUrl),
        ("disputed", B(c.Disputed)), ("disputeNote", c.DisputeNote), ("addedBy", c.AddedBy), ("addedAt", T(c.AddedAt)),
    ], Legacy(new
    {
        c.Id, c.IncidentId, c.ClaimantName, c.ClaimantRole, c.Organisation, c.Text, c.SaidAt, c.Venue, c.SourceUrl, c.Disputed, c.DisputeNote,
        c.AddedBy, c.AddedAt,
    }));

    /// <summary>A claim's link to an evidence item: id "claim:evidence" (as its custody entries name it).</summary>
    public static RecordForm Form(ClaimEvidence l, KeyRing keys) => Build("claim_evidence", $"{Id(l.ClaimId)}:{Id(l.EvidenceId)}", [
        ("claimId", Id(l.ClaimId)), ("evidenceId", Id(l.EvidenceId)), ("stance", N((int)l.Stance)), ("note", l.Note),
    ], Legacy(new { l.ClaimId, l.EvidenceId, Stance = (int)l.Stance, l.Note }));

    public static RecordForm Form(FollowUp f, KeyRing keys) => Build("follow_up", Id(f.Id), [
        ("id", Id(f.Id)), ("incidentId", f.IncidentId.ToString("D")), ("kind", N((int)f.Kind)), ("description", Sealed(keys, f.DescriptionCipher, Purpose.FollowUpDescription) ?? f.Description), ("owner", f.Owner),
        ("dueAt", T(f.DueAt)), ("done", B(f.Done)), ("doneAt", T(f.DoneAt)),
    ], Legacy(new { f.Id, f.IncidentId, Kind = (int)f.Kind, Description = f.DescriptionOf(keys), f.Owner, f.DueAt, f.Done, f.DoneAt }));

    /// <summary>An evidence item's metadata (what the uploader stated); the file itself is hashed by its own entries.</summary>
    public static RecordForm Form(EvidenceItem e, KeyRing keys) => Build("evidence", Id(e.Id), [
        ("id", Id(e.Id)), ("incidentId", e.IncidentId.ToString("D")), ("sha256", e.Sha256), ("size", N(e.Size)), ("mediaType", e.MediaType),
        ("fileName", e.FileName), ("description", e.Description), ("capturedAt", T(e.CapturedAt)), ("device", e.Device),
        ("locationText", e.LocationText), ("lat", N(e.Lat)), ("lon", N(e.Lon)), ("publicSha256", e.PublicSha256), ("addedBy", e.AddedBy),
        ("addedAt", T(e.AddedAt)),
    ], LegacyHash: "");

    private static string? T(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
    private static string? N(double? v) => v?.ToString("R", CultureInfo.InvariantCulture);
    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string B(bool v) => v ? "true" : "false";

    /// <summary>An encrypted field: "hmac:" and the keyed hash of its plaintext, bound to its purpose; null when empty.</summary>
    internal static string? Sealed(KeyRing keys, byte[]? cipher, string purpose) =>
        cipher is null ? null : SealedText(keys, keys.Decrypt(cipher, purpose), purpose);

    internal static string? SealedText(KeyRing keys, string? plaintext, string purpose) =>
        plaintext is null ? null : "hmac:" + CustodyChain.Hex(keys.Hash("custody." + purpose + "\n" + plaintext));

    private static string Legacy<T>(T record) => CustodyChain.Hex(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, Json))));

    private static RecordForm Build(string type, string id, (string Name, string? Value)[] fields, string LegacyHash)
    {
        var whole = new JsonObject { ["$type"] = type };
        var digests = new JsonObject();
        foreach (var (name, value) in fields)
        {
            whole[name] = value;
            digests[name] = CustodyChain.Hex(SHA256.HashData(Encoding.UTF8.GetBytes(value is null ? "\0" : "=" + value)))[..16];
        }
        var hash = CustodyChain.Hex(SHA256.HashData(Encoding.UTF8.GetBytes("whistle-record-v2\n" + whole.ToJsonString())));
        return new RecordForm(type, id, hash, digests.ToJsonString(), LegacyHash);
    }
}
