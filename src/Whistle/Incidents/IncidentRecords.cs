namespace Whistle.Incidents;

/// <summary>
/// What the custody log hashes for each kind of record: its stored fields, in a fixed order, as JSON
/// (<see cref="CustodyLog.HashRecord{T}"/>). Encrypted fields are hashed as their cipher text, so a hash never
/// lets anyone guess a name or a contact. Times are stored times (UTC, milliseconds), so a record read back
/// hashes as it did when the action happened.
/// </summary>
public static class IncidentRecords
{
    public static string Hash(Incident i) => CustodyLog.HashRecord(new
    {
        i.Id, i.Title, i.OccurredAt, i.Place, i.Lat, i.Lon, Category = (int)i.Category, i.Agencies, i.PeopleAffected, i.Injured, i.Deaths,
        i.NamesCipher, i.NamesConsent, Status = (int)i.Status, i.StatusNote, i.Published, i.SightingId, i.CreatedBy, i.CreatedAt, i.UpdatedAt,
    });

    public static string Hash(TimelineEntry t) => CustodyLog.HashRecord(new
    {
        t.Id, t.IncidentId, t.At, t.Source, t.Text, t.Disputed, t.AddedBy, t.AddedAt,
    });

    public static string Hash(WitnessStatement w) => CustodyLog.HashRecord(new
    {
        w.Id, w.IncidentId, w.Text, w.AudioEvidenceId, Consent = (int)w.Consent, w.ConsentAt, w.NameCipher, w.ContactCipher, w.TakenAt, w.TakenBy,
    });

    public static string Hash(Claim c) => CustodyLog.HashRecord(new
    {
        c.Id, c.IncidentId, c.ClaimantName, c.ClaimantRole, c.Organisation, c.Text, c.SaidAt, c.Venue, c.SourceUrl, c.Disputed, c.DisputeNote,
        c.AddedBy, c.AddedAt,
    });

    public static string Hash(ClaimEvidence l) => CustodyLog.HashRecord(new { l.ClaimId, l.EvidenceId, Stance = (int)l.Stance, l.Note });

    public static string Hash(FollowUp f) => CustodyLog.HashRecord(new
    {
        f.Id, f.IncidentId, Kind = (int)f.Kind, f.Description, f.Owner, f.DueAt, f.Done, f.DoneAt,
    });
}
