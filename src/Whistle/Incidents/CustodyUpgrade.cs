using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Incidents;

/// <summary>
/// One-time step at start-up (issue 13): custody entries written before records were hashed field by field (v1:
/// cipher text as stored, no field digests, no hash of evidence metadata) are followed by a "resealed" entry
/// (actor "system") holding each record's new form — but only for a record that still matches its v1 hash, so an
/// edit made behind the application's back before the upgrade stays reported. Evidence metadata, never hashed
/// before, is sealed as it is found. Idempotent: an incident that has a "resealed" entry is not looked at again.
/// </summary>
public static class CustodyUpgrade
{
    public const string Resealed = "resealed", Actor = "system";

    public static async Task<int> RunAsync(WhistleDb db, CustodyLog custody, CancellationToken ct = default)
    {
        var pending = await db.Custody.AsNoTracking()
            .Where(c => c.Fields == null && (c.ObjectType == "incident" || c.ObjectType == "timeline" || c.ObjectType == "witness"
                || c.ObjectType == "claim" || c.ObjectType == "follow_up") && c.Action != "viewed")
            .Select(c => c.IncidentId).Distinct()
            .Where(id => !db.Custody.Any(x => x.IncidentId == id && x.Action == Resealed))
            .ToListAsync(ct);
        int sealedCount = 0;
        foreach (var incidentId in pending)
        {
            var entries = await db.Custody.AsNoTracking().Where(c => c.IncidentId == incidentId).OrderBy(c => c.Seq).ToListAsync(ct);
            long after = entries.LastOrDefault(e => e.Action == EvidenceApi.Imported)?.Seq ?? 0;
            var latest = new Dictionary<(string, string), CustodyEntry>();
            foreach (var e in entries.Where(e => e.Seq > after && CustodyChain.RecordsTheRecord(e))) latest[(CustodyChain.TypeOf(e), e.ObjectId)] = e;
            foreach (var r in await custody.RecordsAsync(incidentId, ct))
            {
                bool reseal = latest.TryGetValue((r.Type, r.Id), out var e)
                    ? e.Fields is null && e.ObjectHash == r.LegacyHash
                    : r.Type == "evidence";
                if (!reseal) continue;
                await custody.AppendAsync(incidentId, Resealed, Actor, r, ct);
                sealedCount++;
            }
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        return sealedCount;
    }
}
