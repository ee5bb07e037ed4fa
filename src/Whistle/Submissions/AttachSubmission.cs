using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Privacy;
using Whistle.Verification;

namespace Whistle.Submissions;

/// <param name="EvidenceIds">File id → the evidence item it is in the incident.</param>
public sealed record AttachResult(Guid SubmissionId, Guid IncidentId, Dictionary<long, long> EvidenceIds);

/// <summary>
/// A received submission into an incident file (existing, or new with its own "created" entry): each complete file becomes
/// an evidence item of the incident exactly as a console upload does — the same sealed bytes in the store (same SHA-256),
/// the public copy with location metadata stripped made by the same code (<see cref="EvidenceApi.PublicCopyAsync"/>), the
/// same custody entries (evidence_added, public_copy_made, evidence_described) — plus one "submission_attached" entry per
/// file linking the submission (id, receipt code, consent, blur flag, the phone's and the server's hash, and the head of the
/// submission's own chain), and "attached" on the submission's chain naming the incident's entry. All in one transaction;
/// the state moves from received to attached once (a second attach, or one racing it, is refused with 409).
/// </summary>
public static class AttachSubmission
{
    private const int MaxAttempts = 10;

    internal static async Task<Results<Ok<AttachResult>, ValidationProblem, ProblemHttpResult>> AttachAsync(
        Guid id, AttachRequest req, WhistleDb db, EvidenceStore store, CustodyLog custody, KeyRing keys, ClaimsPrincipal user, TimeProvider time,
        CancellationToken ct)
    {
        var s = await db.Submissions.AsNoTracking().Include(x => x.Files).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return ReviewApi.NotFound();
        if (Refusal(s) is { } refused) return refused;
        if (req.IncidentId is { } existing && !await db.Incidents.AnyAsync(i => i.Id == existing, ct)) return EvidenceApi.NoIncident(existing);

        var files = s.Files.Where(f => f.Sha256 is not null && f.CompletedAt is not null).OrderBy(f => f.Id).ToList();
        if (files.Count == 0) return ReviewApi.Conflict("Nothing to attach", "None of the submission's files arrived whole.");
        // The originals are in the store already (sealed when their last byte arrived); their public copies are made
        // before the transaction (stored by content: a second attempt finds them there).
        var zone = await Network.NetworkLookup.TimeZoneAsync(db, ct);
        var prepared = new List<(SubmissionFile File, string? PublicSha, CaptureStamp? Stamp)>();
        foreach (var f in files)
        {
            if (!store.Exists(f.Sha256!))
                return TypedResults.Problem(statusCode: 409, title: "File missing", detail: $"The file {f.Sha256} is missing from the evidence store.");
            CaptureStamp? stamp;
            try { stamp = EvidenceApi.ReadCaptureTime(store, f.Sha256!, f.MediaType, zone); }
            catch (System.Security.Cryptography.CryptographicException)
            {
                return TypedResults.Problem(statusCode: 409, title: "File unreadable", detail: $"The file {f.Sha256} in the evidence store does not decrypt.");
            }
            string? publicSha = MetadataStripper.CanStrip(f.MediaType) ? await EvidenceApi.PublicCopyAsync(store, f.Sha256!, f.MediaType, ct) : null;
            prepared.Add((f, publicSha, stamp));
        }

        var actor = ReviewApi.Actor(user);
        var what = s.WhatCipher is { } w ? keys.Decrypt(w, Purpose.SubmissionText) : null;
        var place = s.PlaceCipher is { } p ? keys.Decrypt(p, Purpose.SubmissionText) : null;
        for (int attempt = 1; ; attempt++)
        {
            var now = StoredTime.Of(time.GetUtcNow());
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // The one decision, first (a write before any read in the transaction): from received to attached, or this
                // request lost to another.
                int moved = await db.Submissions.Where(x => x.Id == id && x.State == SubmissionState.Received).ExecuteUpdateAsync(u => u
                    .SetProperty(x => x.State, SubmissionState.Attached).SetProperty(x => x.ReviewedBy, actor).SetProperty(x => x.ReviewedAt, now), ct);
                if (moved == 0)
                {
                    await tx.RollbackAsync(ct);
                    db.ChangeTracker.Clear();
                    var again = await db.Submissions.AsNoTracking().FirstAsync(x => x.Id == id, ct);
                    return Refusal(again) ?? ReviewApi.Conflict("Already decided", "Another documenter decided on this submission meanwhile.");
                }
                Guid incidentId;
                if (req.NewIncident is { } n)
                {
                    var incident = await IncidentsApi.AddIncidentAsync(db, custody, keys, new IncidentRequest(n.Title, n.OccurredAt ?? s.ObservedAt ?? s.ReceivedAt,
                        n.Place ?? place?[..Math.Min(place.Length, 300)], null, null, IncidentCategory.Other, null, null, null, null, null, null, null, null, null, null),
                        actor, now, ct);
                    incidentId = incident.Id;
                }
                else incidentId = req.IncidentId!.Value;
                await db.SaveChangesAsync(ct); // the new incident, if any, before its evidence
                await db.Submissions.Where(x => x.Id == id).ExecuteUpdateAsync(u => u.SetProperty(x => x.IncidentId, incidentId), ct);

                var head = await db.Custody.AsNoTracking().Where(c => c.IncidentId == id).OrderByDescending(c => c.Seq).Select(c => c.Hash).FirstOrDefaultAsync(ct)
                    ?? CustodyChain.Genesis;
                var ids = new Dictionary<long, long>();
                CustodyEntry? lastLink = null;
                foreach (var (f, publicSha, stamp) in prepared)
                {
                    var sha = f.Sha256!;
                    var item = await db.Evidence.FirstOrDefaultAsync(e => e.IncidentId == incidentId && e.Sha256 == sha, ct);
                    if (item is null)
                    {
                        item = new EvidenceItem
                        {
                            IncidentId = incidentId, Sha256 = sha, Size = f.Length, MediaType = f.MediaType,
                            FileName = ReviewRules.SafeFileName(f.FileName, f.MediaType), Description = what, CapturedAt = StoredTime.Of(s.ObservedAt),
                            LocationText = place, PublicSha256 = publicSha, AddedBy = actor, AddedAt = now,
                            App = "Whistle /evidence (receipt " + s.ReceiptCode + ")", FileCapturedAt = StoredTime.Of(stamp?.At), FileCapturedFrom = stamp?.Source,
                        };
                        db.Evidence.Add(item);
                        await db.SaveChangesAsync(ct); // its id, for the custody entries
                        var itemId = item.Id.ToString(CultureInfo.InvariantCulture);
                        await custody.AppendAsync(incidentId, EvidenceApi.Added, actor, "evidence", itemId, sha, ct);
                        if (publicSha is not null) await custody.AppendAsync(incidentId, EvidenceApi.PublicCopy, actor, "evidence", itemId, publicSha, ct);
                        await custody.AppendAsync(incidentId, EvidenceApi.Described, actor, IncidentRecords.Form(item, keys), ct);
                    }
                    ids[f.Id] = item.Id;
                    lastLink = await custody.AppendAsync(incidentId, ReviewApi.SubmissionAttached, actor, new RecordForm("submission", id.ToString("D"), sha,
                        ReviewRules.Fields(("submissionId", id.ToString("D")), ("receiptCode", s.ReceiptCode), ("consent", Names.Of(s.Consent)),
                            ("blurRequested", s.BlurRequested ? "true" : "false"), ("fileId", f.Id.ToString(CultureInfo.InvariantCulture)),
                            ("evidenceId", item.Id.ToString(CultureInfo.InvariantCulture)), ("clientSha256", f.ClientSha256), ("serverSha256", sha),
                            ("submissionChainHead", head)), ""), ct);
                    var fileId = f.Id;
                    var evidenceId = item.Id;
                    await db.SubmissionFiles.Where(x => x.Id == fileId).ExecuteUpdateAsync(u => u.SetProperty(x => x.EvidenceItemId, evidenceId), ct);
                }
                await custody.AppendAsync(id, ReviewApi.Attached, actor, new RecordForm("incident_link", incidentId.ToString("D"), lastLink!.Hash,
                    ReviewRules.Fields(("incidentId", incidentId.ToString("D")), ("incidentEntrySeq", lastLink.Seq.ToString(CultureInfo.InvariantCulture))), ""), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return TypedResults.Ok(new AttachResult(id, incidentId, ids));
            }
            catch (DbUpdateException) when (attempt < MaxAttempts)
            {
                // Another action took a custody link first: again from the start (the transaction rolled back).
                db.ChangeTracker.Clear();
            }
        }
    }

    private static ProblemHttpResult? Refusal(Submission s) => s.State switch
    {
        SubmissionState.Uploading => ReviewApi.Conflict("Still uploading", "The submission's files have not all arrived: it can be attached once they have."),
        SubmissionState.Attached => ReviewApi.Conflict("Already attached", "The submission is already in an incident file."),
        SubmissionState.Rejected => ReviewApi.Conflict("Rejected", "The submission was turned down; it stays as it is, with its reason, in its custody log."),
        _ => null,
    };
}
