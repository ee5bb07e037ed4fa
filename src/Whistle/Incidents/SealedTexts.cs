using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Incidents;

/// <summary>
/// Issue 13: a witness's statement, an incident's status note and a follow-up's description are stored only as
/// AES-GCM ciphers (<see cref="KeyRing"/>, purposes <see cref="Purpose.WitnessText"/>, <see cref="Purpose.IncidentNote"/>,
/// <see cref="Purpose.FollowUpDescription"/>); the clear columns stay in the model for old databases only and are
/// emptied by <see cref="UpgradeAsync"/>. Read and write these texts only through these methods.
/// </summary>
public static class SealedTexts
{
    public static string? TextOf(this WitnessStatement w, KeyRing keys) => w.TextCipher is { } c ? keys.Decrypt(c, Purpose.WitnessText) : w.Text;
    public static string? NoteOf(this Incident i, KeyRing keys) => i.StatusNoteCipher is { } c ? keys.Decrypt(c, Purpose.IncidentNote) : i.StatusNote;
    public static string DescriptionOf(this FollowUp f, KeyRing keys) => f.DescriptionCipher is { } c ? keys.Decrypt(c, Purpose.FollowUpDescription) : f.Description;

    /// <summary>Whether the statement has any text (without decrypting it): an empty text is stored as no cipher.</summary>
    public static bool HasText(WitnessStatement w) => w.TextCipher is not null || !string.IsNullOrEmpty(w.Text);

    public static void SetText(this WitnessStatement w, string? text, KeyRing keys) =>
        (w.TextCipher, w.Text) = (string.IsNullOrEmpty(text) ? null : keys.Encrypt(text, Purpose.WitnessText), null);
    public static void SetNote(this Incident i, string? note, KeyRing keys) =>
        (i.StatusNoteCipher, i.StatusNote) = (string.IsNullOrEmpty(note) ? null : keys.Encrypt(note, Purpose.IncidentNote), null);
    public static void SetDescription(this FollowUp f, string description, KeyRing keys) =>
        (f.DescriptionCipher, f.Description) = (keys.Encrypt(description, Purpose.FollowUpDescription), "");

    /// <summary>
    /// One-time step at start-up, after <see cref="CustodyUpgrade"/>: encrypts every text still in clear and empties its
    /// clear column. A record's custody form changes with it (the clear value becomes a keyed hash of the same text), so
    /// a record whose latest custody entry still matches its form before the change gets a "resealed" entry (actor
    /// "system") with its new form; one that no longer matched (edited behind the application's back before the upgrade)
    /// is encrypted too but stays reported. Idempotent: rows already encrypted are not touched. Returns records resealed.
    /// </summary>
    public static async Task<int> UpgradeAsync(WhistleDb db, CustodyLog custody, KeyRing keys, CancellationToken ct = default)
    {
        var incidents = await db.Incidents.Where(i => i.StatusNote != null).ToListAsync(ct);
        var witnesses = await db.Witnesses.Where(w => w.Text != null).ToListAsync(ct);
        var followUps = await db.FollowUps.Where(f => f.Description != "").ToListAsync(ct);
        var changes = new List<(Guid IncidentId, Func<RecordForm> Form, Action Seal)>();
        changes.AddRange(incidents.Select(i => (i.Id, (Func<RecordForm>)(() => IncidentRecords.Form(i, keys)), (Action)(() => i.SetNote(i.StatusNote, keys)))));
        changes.AddRange(witnesses.Select(w => (w.IncidentId, (Func<RecordForm>)(() => IncidentRecords.Form(w, keys)), (Action)(() => w.SetText(w.Text, keys)))));
        changes.AddRange(followUps.Select(f => (f.IncidentId, (Func<RecordForm>)(() => IncidentRecords.Form(f, keys)), (Action)(() => f.SetDescription(f.Description, keys)))));
        int resealed = 0;
        foreach (var group in changes.GroupBy(c => c.IncidentId))
        {
            var entries = await db.Custody.AsNoTracking().Where(c => c.IncidentId == group.Key).OrderBy(c => c.Seq).ToListAsync(ct);
            long after = entries.LastOrDefault(e => e.Action == EvidenceApi.Imported)?.Seq ?? 0;
            var latest = new Dictionary<(string, string), CustodyEntry>();
            foreach (var e in entries.Where(e => e.Seq > after && CustodyChain.RecordsTheRecord(e))) latest[(CustodyChain.TypeOf(e), e.ObjectId)] = e;
            foreach (var (_, form, seal) in group)
            {
                var before = form();
                seal();
                var now = form();
                bool matched = latest.TryGetValue((before.Type, before.Id), out var last) && last.Fields is not null && last.ObjectHash == before.Hash;
                if (!matched || now.Hash == before.Hash) continue;
                await custody.AppendAsync(group.Key, CustodyUpgrade.Resealed, CustodyUpgrade.Actor, now, ct);
                resealed++;
            }
            await db.SaveChangesAsync(ct);
        }
        db.ChangeTracker.Clear();
        return resealed;
    }
}
