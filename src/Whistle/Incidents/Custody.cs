using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Whistle.Incidents;

/// <summary>
/// One link of an incident's custody log: who did what to which object when, the object's hash, and the
/// hash of the previous link — so that changing any entry, or any file an entry names, breaks the chain
/// at a place <see cref="CustodyChain.Verify"/> can name. Rows are only ever inserted.
/// </summary>
public class CustodyEntry
{
    public long Id { get; set; }
    public Guid IncidentId { get; set; }
    /// <summary>1, 2, 3… within the incident.</summary>
    public long Seq { get; set; }
    /// <summary>created, edited, viewed, exported, imported, evidence_added, witness_added, claim_added, …</summary>
    public string Action { get; set; } = "";
    public string Actor { get; set; } = "";
    public DateTimeOffset At { get; set; }
    /// <summary>incident, timeline, witness, evidence, claim, follow_up, export.</summary>
    public string ObjectType { get; set; } = "";
    public string ObjectId { get; set; } = "";
    /// <summary>Hex SHA-256 of the object: a file's content for evidence, the canonical JSON of a record otherwise.</summary>
    public string ObjectHash { get; set; } = "";
    /// <summary>
    /// For an entry that records a record (v2): compact JSON of field → first 16 hex of the SHA-256 of the field's
    /// canonical value, so verify can name the field changed. Covered by <see cref="Hash"/>; null on v1 entries.
    /// </summary>
    public string? Fields { get; set; }
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

/// <summary>A record that no longer matches its custody log: type (incident, timeline, witness, claim, claim_evidence,
/// follow_up, evidence), id, the field changed when known, and the problem (changed, missing, unrecorded).</summary>
public sealed record RecordFinding(string Type, string Id, string? Field, string Problem)
{
    public override string ToString() => Problem switch
    {
        "changed" when Field is not null => $"{Type} {Id}: field {Field} changed",
        "changed" => $"{Type} {Id}: changed",
        "missing" => $"{Type} {Id}: the record is gone (deleted outside Whistle)",
        _ => $"{Type} {Id}: not recorded in the custody log",
    };
}

public sealed record CustodyVerdict(bool Intact, long Entries, long? FirstBrokenSeq, string? Reason, IReadOnlyList<RecordFinding>? Records = null);

/// <summary>A record as it is now: its canonical hash and the digest of each field (<see cref="IncidentRecords"/>).</summary>
public sealed record RecordForm(string Type, string Id, string Hash, string Fields, string LegacyHash);

public static class CustodyChain
{
    /// <summary>The previous hash of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>
    /// The text hashed for an entry: every field but Id and Hash, in a fixed order, times as Unix milliseconds;
    /// v2 (an entry with field digests) adds them at the end.
    /// </summary>
    public static string Canonical(CustodyEntry e) => e.Fields is null
        ? string.Join('\n',
            "whistle-custody-v1", e.IncidentId.ToString("D"), e.Seq.ToString(CultureInfo.InvariantCulture), e.Action, e.Actor,
            e.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), e.ObjectType, e.ObjectId, e.ObjectHash, e.PreviousHash)
        : string.Join('\n',
            "whistle-custody-v2", e.IncidentId.ToString("D"), e.Seq.ToString(CultureInfo.InvariantCulture), e.Action, e.Actor,
            e.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), e.ObjectType, e.ObjectId, e.ObjectHash, e.PreviousHash, e.Fields);

    public static string HashOf(CustodyEntry e) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(e))));

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>The next link after <paramref name="previous"/> (null for the first), hashed.</summary>
    public static CustodyEntry Next(CustodyEntry? previous, Guid incidentId, string action, string actor, DateTimeOffset at,
        string objectType, string objectId, string objectHash, string? fields = null)
    {
        var e = new CustodyEntry
        {
            IncidentId = incidentId, Seq = (previous?.Seq ?? 0) + 1, Action = action, Actor = actor,
            // Stored to the millisecond (SQLite keeps Unix milliseconds), so hash what will be read back.
            At = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()),
            ObjectType = objectType, ObjectId = objectId, ObjectHash = objectHash, Fields = fields, PreviousHash = previous?.Hash ?? Genesis,
        };
        e.Hash = HashOf(e);
        return e;
    }

    /// <summary>
    /// Recomputes the chain in Seq order: each entry's hash, each link to the previous one, no gap in Seq; and,
    /// when <paramref name="fileHash"/> is given, each evidence file's content against the hash its entry holds
    /// (it returns the file's current hash, or null when the file is missing) — the files of "evidence_added" (the
    /// original) and "public_copy_made" (an image's copy with its location metadata removed). Names the first broken entry.
    /// When <paramref name="records"/> (every record of the incident as it is now) is given, each is compared with
    /// the latest entry that recorded it (<see cref="CompareRecords"/>).
    /// </summary>
    public static CustodyVerdict Verify(IEnumerable<CustodyEntry> entries, Func<CustodyEntry, string?>? fileHash = null,
        IReadOnlyCollection<RecordForm>? records = null)
    {
        var list = entries.OrderBy(x => x.Seq).ToList();
        var findings = records is null ? null : CompareRecords(list, records);
        string previous = Genesis;
        long expected = 1, count = 0;
        foreach (var e in list)
        {
            count++;
            if (e.Seq != expected) return new(false, count, expected, $"entry {expected} is missing", findings);
            if (e.PreviousHash != previous) return new(false, count, e.Seq, $"entry {e.Seq} does not follow entry {e.Seq - 1}: its previous hash differs", findings);
            if (HashOf(e) != e.Hash) return new(false, count, e.Seq, $"entry {e.Seq} ({e.Action} {e.ObjectType} {e.ObjectId}) was changed: its hash does not match its content", findings);
            if (fileHash is not null && e.ObjectType == "evidence" && e.Action is "evidence_added" or "public_copy_made")
            {
                var actual = fileHash(e);
                if (actual is null) return new(false, count, e.Seq, $"entry {e.Seq}: evidence file {e.ObjectHash} is missing", findings);
                if (actual != e.ObjectHash) return new(false, count, e.Seq, $"entry {e.Seq}: evidence file {e.ObjectHash} was changed (it now hashes to {actual})", findings);
            }
            previous = e.Hash;
            expected++;
        }
        if (findings is { Count: > 0 })
            return new(false, count, null, string.Join("; ", findings.Select(f => f.ToString())), findings);
        return new(true, count, null, null, findings);
    }

    /// <summary>Actions whose object hash is not the record's canonical form (a file, a reading, an export).</summary>
    public static bool RecordsTheRecord(CustodyEntry e) =>
        e.ObjectType is "incident" or "timeline" or "witness" or "claim" or "follow_up" or "evidence"
        && e.Action is not ("viewed" or "exported" or "imported" or "evidence_added" or "public_copy_made");

    /// <summary>The finding type of an entry's object: a claim's evidence link is "claim" with id "claim:evidence".</summary>
    public static string TypeOf(CustodyEntry e) => e.ObjectType == "claim" && e.ObjectId.Contains(':') ? "claim_evidence" : e.ObjectType;

    /// <summary>
    /// Each record as it is now against the latest entry that recorded it: a record no entry recorded, an entry whose
    /// record is gone, a hash that differs (naming the field whose digest differs, when the entry holds digests).
    /// Entries before the last "imported" entry name the rows of the database the bundle came from, and are skipped.
    /// </summary>
    public static List<RecordFinding> CompareRecords(IReadOnlyList<CustodyEntry> ordered, IReadOnlyCollection<RecordForm> records)
    {
        long after = ordered.LastOrDefault(e => e.Action == "imported")?.Seq ?? 0;
        var latest = new Dictionary<(string, string), CustodyEntry>();
        foreach (var e in ordered.Where(e => e.Seq > after && RecordsTheRecord(e))) latest[(TypeOf(e), e.ObjectId)] = e;
        var findings = new List<RecordFinding>();
        var now = records.ToDictionary(r => (r.Type, r.Id));
        foreach (var r in records)
        {
            if (!latest.TryGetValue((r.Type, r.Id), out var e)) { findings.Add(new(r.Type, r.Id, null, "unrecorded")); continue; }
            if (e.Fields is null ? e.ObjectHash == r.LegacyHash : e.ObjectHash == r.Hash) continue;
            var changed = e.Fields is null ? [] : ChangedFields(e.Fields, r.Fields);
            if (changed.Count == 0) findings.Add(new(r.Type, r.Id, null, "changed"));
            else findings.AddRange(changed.Select(f => new RecordFinding(r.Type, r.Id, f, "changed")));
        }
        foreach (var ((type, id), _) in latest.Where(kv => !now.ContainsKey(kv.Key)).OrderBy(kv => kv.Value.Seq))
            findings.Add(new(type, id, null, "missing"));
        return findings;
    }

    private static List<string> ChangedFields(string recorded, string current)
    {
        var then = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(recorded) ?? [];
        var now = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(current) ?? [];
        return then.Keys.Union(now.Keys).Where(k => then.GetValueOrDefault(k) != now.GetValueOrDefault(k)).ToList();
    }
}
