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
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

public sealed record CustodyVerdict(bool Intact, long Entries, long? FirstBrokenSeq, string? Reason);

public static class CustodyChain
{
    /// <summary>The previous hash of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>The text hashed for an entry: every field but Id and Hash, in a fixed order, times as Unix milliseconds.</summary>
    public static string Canonical(CustodyEntry e) => string.Join('\n',
        "whistle-custody-v1", e.IncidentId.ToString("D"), e.Seq.ToString(CultureInfo.InvariantCulture), e.Action, e.Actor,
        e.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), e.ObjectType, e.ObjectId, e.ObjectHash, e.PreviousHash);

    public static string HashOf(CustodyEntry e) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(e))));

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>The next link after <paramref name="previous"/> (null for the first), hashed.</summary>
    public static CustodyEntry Next(CustodyEntry? previous, Guid incidentId, string action, string actor, DateTimeOffset at,
        string objectType, string objectId, string objectHash)
    {
        var e = new CustodyEntry
        {
            IncidentId = incidentId, Seq = (previous?.Seq ?? 0) + 1, Action = action, Actor = actor,
            // Stored to the millisecond (SQLite keeps Unix milliseconds), so hash what will be read back.
            At = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()),
            ObjectType = objectType, ObjectId = objectId, ObjectHash = objectHash, PreviousHash = previous?.Hash ?? Genesis,
        };
        e.Hash = HashOf(e);
        return e;
    }

    /// <summary>
    /// Recomputes the chain in Seq order: each entry's hash, each link to the previous one, no gap in Seq; and,
    /// when <paramref name="fileHash"/> is given, each evidence file's content against the hash its entry holds
    /// (it returns the file's current hash, or null when the file is missing) — the files of "evidence_added" (the
    /// original) and "public_copy_made" (an image's copy with its location metadata removed). Names the first broken entry.
    /// </summary>
    public static CustodyVerdict Verify(IEnumerable<CustodyEntry> entries, Func<CustodyEntry, string?>? fileHash = null)
    {
        string previous = Genesis;
        long expected = 1, count = 0;
        foreach (var e in entries.OrderBy(x => x.Seq))
        {
            count++;
            if (e.Seq != expected) return new(false, count, expected, $"entry {expected} is missing");
            if (e.PreviousHash != previous) return new(false, count, e.Seq, $"entry {e.Seq} does not follow entry {e.Seq - 1}: its previous hash differs");
            if (HashOf(e) != e.Hash) return new(false, count, e.Seq, $"entry {e.Seq} ({e.Action} {e.ObjectType} {e.ObjectId}) was changed: its hash does not match its content");
            if (fileHash is not null && e.ObjectType == "evidence" && e.Action is "evidence_added" or "public_copy_made")
            {
                var actual = fileHash(e);
                if (actual is null) return new(false, count, e.Seq, $"entry {e.Seq}: evidence file {e.ObjectHash} is missing");
                if (actual != e.ObjectHash) return new(false, count, e.Seq, $"entry {e.Seq}: evidence file {e.ObjectHash} was changed (it now hashes to {actual})");
            }
            previous = e.Hash;
            expected++;
        }
        return new(true, count, null, null);
    }
}
