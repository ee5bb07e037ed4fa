using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Privacy;

/// <summary>
/// What an old report or sighting keeps (issue 13 §2). After <see cref="Retention.CoarsenReports"/> its exact
/// position becomes the neighbourhood it falls in (the zone's label point; none when it falls in no zone), its place
/// text the zone's name, and what people wrote is wiped; after <see cref="Retention.DeleteReports"/> it is deleted.
/// A sighting an incident file was opened from, and that sighting's reports, are evidence: untouched.
/// </summary>
public static class RetentionRules
{
    /// <summary>Where a coarsened record is: the label point and name of the zone the exact position falls in.</summary>
    public static (GeoPoint? At, string? Place) Coarsen(GeoPoint? exact, ZoneCatalog zones) =>
        exact is { } p && zones.ZoneAt(p) is { } z ? (z.Label, z.Name) : (null, null);

    public static void Coarsen(Report r, ZoneCatalog zones, DateTimeOffset now)
    {
        var (at, place) = Coarsen(r.Location, zones);
        (r.Lat, r.Lon, r.PlaceText) = (at?.Lat, at?.Lon, place);
        r.Text = null;
        r.Equipment = null;
        r.SourceHash = null;
        r.ContactCipher = null;
        r.CoarsenedAt = now;
        // Re-sealed from the values above when saved (nothing is left to seal when the old ciphers could not be opened).
        (r.PositionCipher, r.TextCipher, r.PlaceCipher) = (null, null, null);
    }

    public static void Coarsen(Sighting s, ZoneCatalog zones, DateTimeOffset now)
    {
        var (at, place) = Coarsen(s.Location, zones);
        (s.Lat, s.Lon, s.PlaceText) = (at?.Lat, at?.Lon, place);
        s.CoarsenedAt = now;
        s.PlaceCipher = null;
        // Its history keeps who did what and when; notes (placement coordinates, verifiers' words) go.
        foreach (var t in s.Transitions) t.Note = null;
    }
}

/// <summary>The housekeeping step that applies <see cref="RetentionRules"/>, in batches.</summary>
public static class ReportRetention
{
    public const int CoarsenBatch = 500;

    public static async Task<(int Coarsened, int Deleted)> RunAsync(WhistleDb db, ZoneCatalog zones, Retention retention,
        DateTimeOffset now, CancellationToken ct, int batch = Housekeeping.PurgeBatch)
    {
        var linked = db.Incidents.Where(i => i.SightingId != null).Select(i => i.SightingId);
        int coarsened = 0, deleted = 0;

        var coarsenBefore = now - retention.CoarsenReports;
        while (true)
        {
            var reports = await db.Reports
                .Where(r => r.CoarsenedAt == null && r.ReceivedAt <= coarsenBefore && !(r.SightingId != null && linked.Contains(r.SightingId)))
                .OrderBy(r => r.Id).Take(CoarsenBatch).ToListAsync(ct);
            foreach (var r in reports) RetentionRules.Coarsen(r, zones, now);
            var sightings = await db.Sightings.Include(s => s.Transitions)
                .Where(s => s.CoarsenedAt == null && s.LastReportAt <= coarsenBefore && !linked.Contains(s.Id))
                .OrderBy(s => s.Id).Take(CoarsenBatch).ToListAsync(ct);
            foreach (var s in sightings) RetentionRules.Coarsen(s, zones, now);
            var surges = await db.Surges.Where(g => g.PlaceCipher != null && g.LastReportAt <= coarsenBefore).OrderBy(g => g.Id).Take(CoarsenBatch).ToListAsync(ct);
            foreach (var g in surges) (g.PlaceText, g.PlaceCipher) = (null, null);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            coarsened += reports.Count + sightings.Count;
            if (reports.Count + sightings.Count + surges.Count == 0) break;
            if (reports.Count < CoarsenBatch && sightings.Count < CoarsenBatch && surges.Count < CoarsenBatch) break;
        }

        var deleteBefore = now - retention.DeleteReports;
        var oldReports = db.Reports.Where(r => r.ReceivedAt <= deleteBefore && !(r.SightingId != null && linked.Contains(r.SightingId)));
        while (true)
        {
            var ids = await oldReports.OrderBy(r => r.Id).Take(batch).Select(r => r.Id).ToListAsync(ct);
            if (ids.Count == 0) break;
            int n = await db.Reports.Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct);
            deleted += n;
            if (n == 0) break; // never spin on rows that would not go
        }
        // A sighting goes once none of its reports is left; its history and verifier requests with it. An alert sent
        // from it is a public record and stays, no longer pointing at it.
        var oldSightings = db.Sightings.Where(s => s.LastReportAt <= deleteBefore
                                                   && !linked.Contains(s.Id) && !db.Reports.Any(r => r.SightingId == s.Id));
        while (true)
        {
            var ids = await oldSightings.OrderBy(s => s.Id).Take(batch).Select(s => s.Id).ToListAsync(ct);
            if (ids.Count == 0) break;
            await db.Alerts.Where(a => a.SightingId != null && ids.Contains(a.SightingId.Value))
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.SightingId, (Guid?)null), ct);
            await db.Assignments.Where(a => ids.Contains(a.SightingId)).ExecuteDeleteAsync(ct);
            await db.SightingTransitions.Where(t => ids.Contains(t.SightingId)).ExecuteDeleteAsync(ct);
            int n = await db.Sightings.Where(s => ids.Contains(s.Id)).ExecuteDeleteAsync(ct);
            deleted += n;
            if (n == 0) break;
        }
        // A surge goes with the last report it held.
        var oldSurges = db.Surges.Where(g => g.LastReportAt <= deleteBefore && !db.Reports.Any(r => r.SurgeId == g.Id));
        while (true)
        {
            var ids = await oldSurges.OrderBy(g => g.Id).Take(batch).Select(g => g.Id).ToListAsync(ct);
            if (ids.Count == 0) break;
            if (await db.Surges.Where(g => ids.Contains(g.Id)).ExecuteDeleteAsync(ct) == 0) break;
        }
        return (coarsened, deleted);
    }
}
