using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Submissions;

namespace Whistle.Incidents;

/// <summary>
/// Where a bystander's file came from (issue 15): the submission it arrived in through the public /evidence page —
/// the receipt code its sender keeps, their consent and blur request, when it arrived — and, per file, the SHA-256 the
/// phone computed before sending beside the one the server recomputed on arrival (equal: a difference is refused on
/// upload), and the submission's own custody chain, exported next to the incident's.
/// </summary>
public sealed record BundleSubmission(
    Guid Id, string ReceiptCode, SubmissionConsent Consent, bool BlurRequested, DateTimeOffset ReceivedAt, DateTimeOffset? CompletedAt,
    string? AttachedBy, DateTimeOffset? AttachedAt, List<BundleSubmissionFile> Files, List<BundleCustody> Custody);

/// <summary>One file of a submission: its evidence item in this bundle, the phone's hash and the server's, and its path here.</summary>
public sealed record BundleSubmissionFile(
    long FileId, long EvidenceId, string FileName, string MediaType, long Size, string PhoneSha256, string ServerSha256, string Path,
    DateTimeOffset? ReceivedAt);

public static partial class IncidentBundle
{
    /// <summary>
    /// The submissions the incident's evidence came from (<see cref="SubmissionFile.EvidenceItemId"/>), each with its files
    /// and its custody chain; Broken names the first submission whose chain does not verify (then nothing is exported).
    /// </summary>
    public static async Task<(List<BundleSubmission> Submissions, string? Broken)> ProvenanceAsync(
        WhistleDb db, IReadOnlyList<EvidenceItem> evidence, CancellationToken ct)
    {
        var byId = evidence.ToDictionary(e => e.Id);
        var ids = byId.Keys.ToList();
        if (ids.Count == 0) return ([], null);
        var files = await db.SubmissionFiles.AsNoTracking()
            .Where(f => f.EvidenceItemId != null && ids.Contains(f.EvidenceItemId.Value)).ToListAsync(ct);
        if (files.Count == 0) return ([], null);
        var submissionIds = files.Select(f => f.SubmissionId).Distinct().ToList();
        var submissions = await db.Submissions.AsNoTracking().Where(s => submissionIds.Contains(s.Id)).ToListAsync(ct);
        var chains = (await db.Custody.AsNoTracking().Where(c => submissionIds.Contains(c.IncidentId)).ToListAsync(ct))
            .GroupBy(c => c.IncidentId).ToDictionary(g => g.Key, g => g.OrderBy(c => c.Seq).ToList());
        var result = new List<BundleSubmission>();
        foreach (var s in submissions.OrderBy(s => s.ReceivedAt).ThenBy(s => s.Id))
        {
            var chain = chains.GetValueOrDefault(s.Id) ?? [];
            var verdict = CustodyChain.Verify(chain);
            if (chain.Count == 0 || !verdict.Intact)
                return ([], $"the custody log of submission {s.ReceiptCode} does not verify: {verdict.Reason ?? "it has no entries"}");
            result.Add(new BundleSubmission(s.Id, s.ReceiptCode, s.Consent, s.BlurRequested, s.ReceivedAt, s.CompletedAt,
                s.State == SubmissionState.Attached ? s.ReviewedBy : null, s.State == SubmissionState.Attached ? s.ReviewedAt : null,
                files.Where(f => f.SubmissionId == s.Id).OrderBy(f => f.Id).Select(f =>
                {
                    var item = byId[f.EvidenceItemId!.Value];
                    return new BundleSubmissionFile(f.Id, item.Id, f.FileName, f.MediaType, f.Length, f.ClientSha256, f.Sha256 ?? "",
                        EvidencePath(item.Sha256, item.MediaType), f.CompletedAt);
                }).ToList(),
                chain.Select(BundleCustody.Of).ToList()));
        }
        return (result, null);
    }

    /// <summary>
    /// On import: each submission's chain is its own (ids), unbroken, records each file's arrival with the server's hash,
    /// and each file is an evidence item of the bundle whose hash is both the phone's and the server's.
    /// </summary>
    private static void CheckProvenance(BundleManifest manifest)
    {
        if (manifest.Submissions is not { } submissions) return;
        var evidence = manifest.Evidence.ToDictionary(e => e.Id);
        foreach (var s in submissions)
        {
            if (s?.Custody is not { Count: > 0 } chain || s.Files is null) { Reject("A submission in manifest.json has no custody log or no files."); return; }
            if (chain.Any(c => c.IncidentId != s.Id)) Reject($"Submission {Shown(s.ReceiptCode ?? "")}: a custody entry belongs to another chain.");
            var verdict = CustodyChain.Verify(chain.Select(c => c.ToEntry()));
            if (!verdict.Intact) Reject($"The custody log of submission {Shown(s.ReceiptCode ?? "")} does not verify: {verdict.Reason}.");
            foreach (var f in s.Files)
            {
                if (!evidence.TryGetValue(f.EvidenceId, out var item) || item.Sha256 != f.ServerSha256 || f.PhoneSha256 != f.ServerSha256 || item.Path != f.Path)
                    Reject($"Submission {Shown(s.ReceiptCode ?? "")}: file {f.FileId} is not the evidence item it names, or its phone and server hashes differ.");
                var fileId = f.FileId.ToString(CultureInfo.InvariantCulture);
                if (!chain.Any(c => c.Action == "file_received" && c.ObjectId == fileId && c.ObjectHash == f.ServerSha256))
                    Reject($"Submission {Shown(s.ReceiptCode ?? "")}: the arrival of file {f.FileId} is not in its custody log.");
            }
        }
    }

    /// <summary>README.txt's part on files sent from a phone (only in bundles that hold some).</summary>
    public const string ProvenanceReadme = """

        FILES SENT FROM A BYSTANDER'S PHONE
        Some evidence came from the network's public "send what you recorded" page. Before sending, the phone
        computed each file's SHA-256 and showed it, with a receipt code, to the person who recorded it; the network
        recomputed the SHA-256 over what arrived and refused the file if the two differed. manifest.json lists these
        under "submissions": the receipt code, the sender's consent (lawyers_only, publish_blurred, publish), whether
        they asked for faces to be blurred, when it arrived, each file's phoneSha256 and serverSha256, and the
        submission's own custody log (its entries are hashed and linked exactly like the incident's).
        To prove a file is byte for byte what left the phone:

        9. Each of these files hashes to the SHA-256 the phone computed (prints "OK" for each, exits with 0 only
           if all match):

             jq -r '.submissions[].files[] | "\(.phoneSha256)  \(.path)"' manifest.json | sha256sum -c

        10. The sender's receipt shows the same hash: ask them for their receipt code and the hash their phone
            showed, and compare it with this list (receipt code, file name, phone's SHA-256):

             jq -r '.submissions[] | .receiptCode as $r | .files[] | "\($r)\t\(.fileName)\t\(.phoneSha256)"' manifest.json

        11. Each submission's custody log is numbered 1, 2, 3… from the all-zero hash, each entry linked to the one
            before (prints true), and each entry's hash is the SHA-256 of its own fields, as in 4 (prints "ok" or
            "BROKEN" with the submission's id and the entry's number):

             jq -e '[.submissions[].custody as $c | ($c[0].previousHash | test("^0{64}$")) and ([range(0; $c|length) | $c[.].seq == . + 1] | all) and ([range(1; $c|length) | $c[.].previousHash == $c[. - 1].hash] | all)] | all' manifest.json

             jq -r '.submissions[].custody[] | [.incidentId, .seq, .hash, ((if .fields then ["whistle-custody-v2"] else ["whistle-custody-v1"] end) + [.incidentId, (.seq|tostring), .action, .actor, (.atUnixMs|tostring), .objectType, .objectId, .objectHash, .previousHash] + (if .fields then [.fields] else [] end) | join("\n") | @base64)] | @tsv' manifest.json | while IFS=$'\t' read -r id seq hash text; do if [ "$(printf %s "$text" | base64 -d | sha256sum | cut -d' ' -f1)" = "$hash" ]; then echo "ok $id $seq"; else echo "BROKEN $id $seq"; fi; done

        12. The submission's log recorded each file's arrival with the server's hash, the phone's hash is the
            same, and the incident's log recorded the file when it was added and which submission it came from
            (prints true):

             jq -e '. as $m | [$m.submissions[] | . as $s | .files[] | . as $f | ($f.phoneSha256 == $f.serverSha256) and any($s.custody[]; .action == "file_received" and .objectId == ($f.fileId|tostring) and .objectHash == $f.serverSha256) and any($m.custody[]; .action == "evidence_added" and .objectId == ($f.evidenceId|tostring) and .objectHash == $f.serverSha256) and any($m.custody[]; .action == "submission_attached" and .objectId == $s.id and .objectHash == $f.serverSha256)] | all' manifest.json

        Together with 1: the file in evidence/ is the one whose hash the phone showed its sender (9, 10), the network
        recorded that hash when the file arrived in an unbroken log (11, 12), and the incident's log took the same
        file in (12, 5). The sender's contact is never in a bundle.
        """;
}
