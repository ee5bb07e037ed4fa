using System.Globalization;
using System.IO.Compression;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Platform;
using Whistle.Privacy;

namespace Whistle.Incidents;

public sealed record BundleManifest(
    string Format, DateTimeOffset ExportedAt, string ExportedBy, bool ForLegalCounsel, string About,
    BundleIncident Incident, List<BundleEvidence> Evidence, List<BundleTimeline> Timeline, List<BundleClaim> Claims,
    List<BundleWitness> Witnesses, List<BundleCustody> Custody, List<BundleSubmission>? Submissions = null);

public sealed record BundleIncident(
    Guid Id, string Title, DateTimeOffset OccurredAt, string? Place, double? Lat, double? Lon, IncidentCategory Category, string Agencies,
    int PeopleAffected, int Injured, int Deaths, bool NamesConsent, string? Names, IncidentStatus Status, string? StatusNote,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record BundleEvidence(
    long Id, string Sha256, long Size, string MediaType, string FileName, string Path, string? Description, DateTimeOffset? CapturedAt,
    string? Device, string? LocationText, double? Lat, double? Lon, string? PublicSha256, string? PublicPath, string AddedBy, DateTimeOffset AddedAt);

/// <param name="Precision">How precisely At is known (exact, minute, day, month); Local is At as the network's calendar writes it at that precision ("2024-03-15").</param>
public sealed record BundleTimeline(long Id, DateTimeOffset At, string Source, string Text, bool Disputed, string AddedBy, DateTimeOffset AddedAt,
    Network.TimePrecision? Precision = null, string? Local = null);

public sealed record BundleClaimEvidence(long EvidenceId, ClaimStance Stance, string? Note);

public sealed record BundleClaim(
    long Id, string ClaimantName, string? ClaimantRole, string? Organisation, string Text, DateTimeOffset? SaidAt, string? Venue,
    string? SourceUrl, bool Disputed, string? DisputeNote, string AddedBy, DateTimeOffset AddedAt, List<BundleClaimEvidence> Evidence);

/// <summary>A witness statement; Name and Contact only in an export for legal counsel, and only when the witness consented to that.</summary>
public sealed record BundleWitness(
    long Id, string? Text, long? AudioEvidenceId, ConsentScope Consent, DateTimeOffset? ConsentAt, DateTimeOffset TakenAt, string TakenBy,
    string? Name, string? Contact);

/// <summary>A custody entry as it was hashed: AtUnixMs is the time in the hashed text (At is the same instant, for reading).</summary>
public sealed record BundleCustody(
    Guid IncidentId, long Seq, string Action, string Actor, DateTimeOffset At, long AtUnixMs, string ObjectType, string ObjectId,
    string ObjectHash, string PreviousHash, string Hash, string? Fields = null)
{
    public static BundleCustody Of(CustodyEntry e) => new(e.IncidentId, e.Seq, e.Action, e.Actor, e.At, e.At.ToUnixTimeMilliseconds(),
        e.ObjectType, e.ObjectId, e.ObjectHash, e.PreviousHash, e.Hash, e.Fields);

    public CustodyEntry ToEntry() => new()
    {
        IncidentId = IncidentId, Seq = Seq, Action = Action, Actor = Actor, At = DateTimeOffset.FromUnixTimeMilliseconds(AtUnixMs),
        ObjectType = ObjectType, ObjectId = ObjectId, ObjectHash = ObjectHash, Fields = Fields, PreviousHash = PreviousHash, Hash = Hash,
    };
}

public sealed record ImportResult(Guid IncidentId, int Evidence, long CustodyEntries);

/// <summary>Why a bundle was refused on import (the message names what failed).</summary>
public class BundleRejectedException(string message) : Exception(message);

/// <summary>
/// An incident file as one ZIP that anyone can check with standard tools (decision 0011):
/// <c>README.txt</c>, <c>manifest.json</c>, <c>evidence/&lt;sha256&gt;.&lt;ext&gt;</c> (originals and public copies),
/// and <c>SHA256SUMS</c> (every other file, <c>sha256sum -c</c> format). Import verifies all of it before writing anything.
/// </summary>
public static partial class IncidentBundle
{
    public const string Format = "whistle-incident-bundle-v1";
    public const string ManifestName = "manifest.json", SumsName = "SHA256SUMS", ReadmeName = "README.txt";
    /// <summary>The custody action that records an imported record under its id in this database.</summary>
    public const string Recorded = "recorded";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { PlatformSetup.EnumsAsSnakeCase },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string EvidencePath(string sha, string mediaType) => $"evidence/{sha}.{MediaTypes.Extension(mediaType)}";

    // ------------------------------------------------------------------ export

    /// <summary>
    /// Verifies the custody chain (files included), appends an "exported" entry whose object hash is the hash of
    /// the manifest.json being sent, then streams the ZIP. The manifest holds the chain up to, not including,
    /// that entry (an entry cannot contain the hash of the file that contains it). With ?legal=true (for legal
    /// counsel) witnesses' names and contacts are included where they consented to legal or public use, and the
    /// names of people affected where their family consented.
    /// </summary>
    public static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> ExportAsync(
        Guid id, bool? legal, HttpContext http, WhistleDb db, EvidenceStore store, CustodyLog custody, KeyRing keys,
        TimeProvider time, ClaimsPrincipal user, CustodyPins pins, CustodySigner signer, CancellationToken ct)
    {
        var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null) return EvidenceApi.NoIncident(id);
        var verdict = await custody.VerifyAsync(id, store, ct);
        if (!verdict.Intact)
            return Problem.Conflict($"The custody log does not verify, so no bundle was made: {verdict.Reason}.");

        bool forCounsel = legal == true;
        var actor = EvidenceApi.Actor(user);
        var now = time.GetUtcNow();
        var evidence = await db.Evidence.AsNoTracking().Where(e => e.IncidentId == id).OrderBy(e => e.Id).ToListAsync(ct);
        var timeline = await db.Timeline.AsNoTracking().Where(t => t.IncidentId == id).OrderBy(t => t.At).ThenBy(t => t.Id).ToListAsync(ct);
        var zone = await Network.NetworkLookup.TimeZoneAsync(db, ct);
        var claims = await db.Claims.AsNoTracking().Include(c => c.Evidence).Where(c => c.IncidentId == id).OrderBy(c => c.Id).ToListAsync(ct);
        var witnesses = await db.Witnesses.AsNoTracking().Where(w => w.IncidentId == id).OrderBy(w => w.Id).ToListAsync(ct);
        var chain = await db.Custody.AsNoTracking().Where(c => c.IncidentId == id).OrderBy(c => c.Seq).ToListAsync(ct);
        var (submissions, broken) = await ProvenanceAsync(db, evidence, ct);
        if (broken is not null) return Problem.Conflict($"No bundle was made: {broken}.");

        string? Reveal(byte[]? cipher, string purpose, bool consented)
        {
            if (!forCounsel || !consented || cipher is null) return null;
            try { return keys.Decrypt(cipher, purpose); }
            catch (CryptographicException) { return null; }
        }

        var manifest = new BundleManifest(Format, now, actor, forCounsel,
            "An incident file exported from Whistle. README.txt says how to verify it. The custody log below ends just before "
            + "this export's own \"exported\" entry, whose objectHash (kept by the network) is the SHA-256 of this manifest.json.",
            new BundleIncident(incident.Id, incident.Title, incident.OccurredAt, incident.Place, incident.Lat, incident.Lon, incident.Category,
                incident.Agencies, incident.PeopleAffected, incident.Injured, incident.Deaths, incident.NamesConsent,
                Reveal(incident.NamesCipher, Purpose.AffectedNames, incident.NamesConsent), incident.Status, incident.NoteOf(keys),
                incident.CreatedBy, incident.CreatedAt, incident.UpdatedAt),
            evidence.Select(e => new BundleEvidence(e.Id, e.Sha256, e.Size, e.MediaType, e.FileName, EvidencePath(e.Sha256, e.MediaType),
                e.Description, e.CapturedAt, e.Device, e.LocationText, e.Lat, e.Lon, e.PublicSha256,
                e.PublicSha256 is { } p ? EvidencePath(p, e.MediaType) : null, e.AddedBy, e.AddedAt)).ToList(),
            timeline.Select(t => new BundleTimeline(t.Id, t.At, t.Source, t.Text, t.Disputed, t.AddedBy, t.AddedAt,
                t.Precision, Network.Clock.Iso(t.At, t.Precision, zone))).ToList(),
            claims.Select(c => new BundleClaim(c.Id, c.ClaimantName, c.ClaimantRole, c.Organisation, c.Text, c.SaidAt, c.Venue, c.SourceUrl,
                c.Disputed, c.DisputeNote, c.AddedBy, c.AddedAt,
                c.Evidence.OrderBy(x => x.EvidenceId).Select(x => new BundleClaimEvidence(x.EvidenceId, x.Stance, x.Note)).ToList())).ToList(),
            witnesses.Select(w =>
            {
                bool consented = w.Consent is ConsentScope.Legal or ConsentScope.Public;
                return new BundleWitness(w.Id, w.TextOf(keys), w.AudioEvidenceId, w.Consent, w.ConsentAt, w.TakenAt, w.TakenBy,
                    Reveal(w.NameCipher, Purpose.WitnessName, consented), Reveal(w.ContactCipher, Purpose.WitnessContact, consented));
            }).ToList(),
            chain.Select(BundleCustody.Of).ToList(), submissions);
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Json);
        var manifestSha = CustodyChain.Hex(SHA256.HashData(manifestBytes));
        // The head this bundle ships, pinned now (decision 0031): signed, and timestamped when a TSA answers in time.
        var (pin, _) = await pins.PinAsync(chain[^1], ct);
        var head = HeadFiles(pin, signer);
        await EvidenceApi.AppendAndSaveAsync(db, () => custody.AppendAsync(id, EvidenceApi.Exported, actor, "export", ManifestName, manifestSha, ct), ct);

        // Evidence files (originals and public copies), each once.
        var files = evidence.Select(e => (Sha: e.Sha256, Path: EvidencePath(e.Sha256, e.MediaType)))
            .Concat(evidence.Where(e => e.PublicSha256 is not null).Select(e => (Sha: e.PublicSha256!, Path: EvidencePath(e.PublicSha256!, e.MediaType))))
            .DistinctBy(f => f.Path).ToList();
        var readme = Encoding.UTF8.GetBytes(Readme(incident.Id, now, forCounsel, pin.Token is not null)
            + (submissions.Count > 0 ? ProvenanceReadme : ""));
        // The ZIP library may write synchronously when it finishes an entry; this one response may do so.
        if (http.Features.Get<IHttpBodyControlFeature>() is { } body) body.AllowSynchronousIO = true;

        return TypedResults.Stream(async output =>
        {
            var sums = new List<(string Sha, string Name)>();
            await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct);
            await AddAsync(zip, ReadmeName, new MemoryStream(readme), CompressionLevel.Optimal, now, sums, ct);
            await AddAsync(zip, ManifestName, new MemoryStream(manifestBytes), CompressionLevel.Optimal, now, sums, ct);
            foreach (var (name, bytes) in head)
                await AddAsync(zip, name, new MemoryStream(bytes), CompressionLevel.Optimal, now, sums, ct);
            foreach (var (sha, path) in files)
                await using (var file = store.OpenRead(sha))
                    // Photos, video and audio are compressed already: stored as they are, quicker to make and to check.
                    await AddAsync(zip, path, file, CompressionLevel.NoCompression, now, sums, ct);
            var text = string.Concat(sums.Select(s => $"{s.Sha}  {s.Name}\n"));
            await AddAsync(zip, SumsName, new MemoryStream(Encoding.UTF8.GetBytes(text)), CompressionLevel.Optimal, now, null, ct);
        }, "application/zip", $"incident-{incident.Id}.zip");
    }

    private static async Task AddAsync(ZipArchive zip, string name, Stream content, CompressionLevel level, DateTimeOffset at,
        List<(string, string)>? sums, CancellationToken ct)
    {
        var entry = zip.CreateEntry(name, level);
        entry.LastWriteTime = at;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var target = await entry.OpenAsync(ct))
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await content.ReadAsync(buffer, ct)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                await target.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        sums?.Add((CustodyChain.Hex(hash.GetHashAndReset()), name));
    }

    public const string KeyName = "custody-key.pem", HeadName = "custody/head.txt", SignatureName = "custody/head.sig",
        TokenName = "custody/head.tsr", TsaChainName = "custody/tsa-chain.pem";

    /// <summary>The signed head's files: the public key, the statement, its signature, and the TSA's answer and certificates when timestamped.</summary>
    public static List<(string Name, byte[] Bytes)> HeadFiles(CustodyPin pin, CustodySigner signer)
    {
        var files = new List<(string, byte[])>
        {
            (KeyName, Encoding.ASCII.GetBytes(signer.PublicKeyPem())),
            (HeadName, Encoding.UTF8.GetBytes(pin.Statement)),
            (SignatureName, pin.Signature),
        };
        if (pin.Token is { } response)
        {
            files.Add((TokenName, response));
            if (TsaClient.Token(response) is { } token) files.Add((TsaChainName, Encoding.ASCII.GetBytes(TsaClient.ChainPem(token))));
        }
        return files;
    }

    private const string Timestamped = """
        An independent time-stamping authority (TSA) saw that head no later than the time in its token (prints
           "Verification: OK"). TSA-CA.pem is the TSA's root certificate: get it from the TSA itself, not from this
           bundle (for FreeTSA: https://freetsa.org/files/cacert.pem; for a commercial TSA, the root it publishes).
           custody/tsa-chain.pem holds the certificates the token carries, for reading; the token's time is shown by
           "openssl ts -reply -in custody/head.tsr -text".

             openssl ts -verify -data custody/head.txt -in custody/head.tsr -CAfile TSA-CA.pem
        """;

    private const string NotTimestamped = """
        This head is NOT independently timestamped: the network had no time-stamping authority configured, or it
           did not answer when the bundle was made. The signature (7) shows the network vouched for this head, not when.
        """;

    public static string Readme(Guid incidentId, DateTimeOffset exportedAt, bool forCounsel, bool timestamped) => $$"""
        Whistle incident file {{incidentId}}
        Exported {{exportedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}} UTC{{(forCounsel ? ", for legal counsel (it may hold names and contacts of witnesses who consented to that: keep it confidential)" : "")}}.

        WHAT IS IN IT
          manifest.json      the incident, its timeline, claims, witness statements, the list of evidence
                             (SHA-256, size, type, what the uploader said about it) and the whole custody log.
          evidence/          every evidence file, named by its own SHA-256. Photos also have a public copy
                             with their location metadata removed (listed as publicSha256 in manifest.json).
          SHA256SUMS         the SHA-256 of every other file in this bundle.
          README.txt         this file.

        HOW TO CHECK IT (on Linux or macOS; sha256sum is "shasum -a 256" on macOS; jq is at https://jqlang.org)
        Unzip the bundle, go into the folder, then:

        1. Every file is exactly as exported (prints "OK" for each and exits with 0 only if all match):

             sha256sum -c SHA256SUMS

        2. The custody log, one line per entry (number, time, action, object, who):

             jq -r '.custody[] | "\(.seq)\t\(.at)\t\(.action)\t\(.objectType) \(.objectId)\t\(.actor)"' manifest.json

        3. The entries are numbered 1, 2, 3… with none missing, the first follows the all-zero hash, and each
           entry's previousHash equals the hash of the entry before it (prints true, exits with 0):

             jq -e '.custody as $c | ($c[0].previousHash | test("^0{64}$")) and ([range(0; $c|length) | $c[.].seq == . + 1] | all) and ([range(1; $c|length) | $c[.].previousHash == $c[. - 1].hash] | all)' manifest.json

        4. Each entry's hash is the SHA-256 of its own fields, so no entry was changed (prints "ok" or "BROKEN"
           for each; no BROKEN line means the log is intact). The hashed text is these fields joined by newlines:
           whistle-custody-v1, incidentId, seq, action, actor, atUnixMs, objectType, objectId, objectHash, previousHash;
           an entry that also holds field digests ("fields") starts with whistle-custody-v2 and ends with them.

             jq -r '.custody[] | [.seq, .hash, ((if .fields then ["whistle-custody-v2"] else ["whistle-custody-v1"] end) + [.incidentId, (.seq|tostring), .action, .actor, (.atUnixMs|tostring), .objectType, .objectId, .objectHash, .previousHash] + (if .fields then [.fields] else [] end) | join("\n") | @base64)] | @tsv' manifest.json | while IFS=$'\t' read -r seq hash text; do if [ "$(printf %s "$text" | base64 -d | sha256sum | cut -d' ' -f1)" = "$hash" ]; then echo "ok $seq"; else echo "BROKEN $seq"; fi; done

        5. Every evidence file and public copy was recorded in the custody log when it was added (prints true):

             jq -e '. as $m | [$m.evidence[] | . as $e | any($m.custody[]; .action == "evidence_added" and .objectHash == $e.sha256)] + [$m.evidence[] | select(.publicSha256) | . as $e | any($m.custody[]; .action == "public_copy_made" and .objectHash == $e.publicSha256)] | all' manifest.json

        6. The signed head (custody/head.txt) names the last entry of this custody log: its incident, seq and hash
           (prints true):

             jq -e --rawfile head custody/head.txt '.custody[-1] as $h | ($head | split("\n")) as $l | $l[0] == "whistle-custody-head-v1" and $l[1] == "incident \($h.incidentId)" and $l[2] == "seq \($h.seq)" and $l[3] == "hash \($h.hash)"' manifest.json

        7. The network signed that head with its custody key (prints "Verified OK"). custody-key.pem is the
           network's public key; compare it with the one the network publishes at
           https://<the network's address>/.well-known/whistle-custody-key.pem (or ask the network for it):

             openssl dgst -sha256 -verify custody-key.pem -signature custody/head.sig custody/head.txt

        8. {{(timestamped ? Timestamped : NotTimestamped)}}

        Together: the files match SHA256SUMS (1), the files are the ones the custody log recorded as they were
        added (5, and their names are their hashes), the log itself is unbroken (3, 4), its last entry is the head
        the network signed (6, 7) and, when timestamped, that head existed no later than the token's time (8).

        WHAT THE CUSTODY LOG COVERS
        The log in manifest.json ends with the last action before this export. The export itself is the next
        entry in the network's log ("exported"): its objectHash is the SHA-256 of this manifest.json, so the
        network can confirm that this bundle is the one it exported (sha256sum manifest.json).
        Witness names and contacts are left out unless the bundle was made for legal counsel and the witness
        consented to legal or public use.
        """;

    // ------------------------------------------------------------------ import

    [GeneratedRegex("^evidence/([0-9a-f]{64})(\\.[a-z0-9]{1,8})?$")]
    private static partial Regex EvidenceName();

    [GeneratedRegex("^([0-9a-f]{64}) [ *](.+)$")]
    private static partial Regex SumLine();

    /// <summary>A name a ZIP entry may not have: parent or absolute paths, backslashes, drive letters, control characters.</summary>
    public static bool IsUnsafeName(string name) =>
        name.Length == 0 || name.Contains('\\') || name.StartsWith('/') || name.Contains(':') || name.Any(char.IsControl)
        || name.TrimEnd('/').Split('/').Any(s => s is "" or "." or "..");

    /// <summary>
    /// Streams the bundle to a temporary file (size capped), verifies all of it, and only then stores the files
    /// and records the incident with its custody chain as it came, plus an "imported" entry. Any failure: 400
    /// naming it, and nothing is kept.
    /// </summary>
    public static async Task<Results<Created<ImportResult>, ProblemHttpResult, ValidationProblem>> ImportAsync(
        HttpContext http, WhistleDb db, EvidenceStore store, CustodyLog custody, KeyRing keys, IOptions<WhistleOptions> options,
        ClaimsPrincipal user, TimeProvider time, ILogger<ImportResult> log, CancellationToken ct)
    {
        var limits = options.Value.Evidence;
        if (http.Request.ContentLength > limits.MaxImportBytes) return EvidenceApi.TooLarge(limits.MaxImportBytes);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } cap) cap.MaxRequestBodySize = limits.MaxImportBytes;
        Directory.CreateDirectory(store.Root);
        var temp = Path.Combine(store.Root, $".import-{Guid.NewGuid():N}.zip");
        var added = new List<string>();
        try
        {
            try
            {
                await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                var buffer = new byte[1 << 16];
                long size = 0;
                int n;
                while ((n = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
                {
                    if ((size += n) > limits.MaxImportBytes) return EvidenceApi.TooLarge(limits.MaxImportBytes);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return EvidenceApi.TooLarge(limits.MaxImportBytes);
            }

            Checked bundle;
            try
            {
                await using var zip = await ZipFile.OpenAsync(temp, ZipArchiveMode.Read, ct);
                bundle = await VerifyAsync(zip, limits, ct);
                // Every rule the API applies, to every record, before anything is written (issue 14 §6).
                var violation = BundleRules.FirstViolation(bundle.Manifest, http.RequestServices, time.GetUtcNow())
                    ?? await FirstMismatchedFileAsync(zip, bundle.Manifest, ct);
                if (violation is not null) throw new BundleRuleException(violation);
                if (await db.Incidents.AnyAsync(i => i.Id == bundle.Manifest.Incident.Id, ct))
                    return Problem.Conflict($"Incident {bundle.Manifest.Incident.Id} is already here: nothing was imported.");
                // Store the files (verified again as they are written).
                foreach (var (sha, entryName) in bundle.Files)
                {
                    bool had = store.Exists(sha);
                    await using var content = await zip.GetEntry(entryName)!.OpenAsync(ct);
                    var (stored, _) = await store.SaveAsync(content, zip.GetEntry(entryName)!.Length, ct);
                    if (!had) added.Add(stored);
                    if (stored != sha) throw new BundleRejectedException($"{entryName} changed while it was being imported.");
                }
            }
            catch (InvalidDataException)
            {
                throw new BundleRejectedException("The bundle is not a readable ZIP file.");
            }
            catch (TooLargeException)
            {
                throw new BundleRejectedException("A file in the bundle is larger than its ZIP header says.");
            }

            var result = await RecordAsync(bundle, db, custody, keys, EvidenceApi.Actor(user), ct);
            added.Clear(); // committed: the files stay
            return TypedResults.Created($"/api/v1/incidents/{result.IncidentId}", result);
        }
        catch (BundleRuleException e)
        {
            log.LogInformation("An incident bundle was refused on import: a record breaks a rule");
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Violation.Key] = [e.Violation.Rule] },
                detail: e.Violation.Detail, title: "The bundle breaks a rule the API applies");
        }
        catch (BundleRejectedException e)
        {
            log.LogInformation("An incident bundle was refused on import");
            return TypedResults.Problem(statusCode: 400, title: "The bundle does not verify", detail: e.Message + " Nothing was imported.");
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
            foreach (var sha in added)
                if (File.Exists(store.PathOf(sha))) File.Delete(store.PathOf(sha));
        }
    }

    /// <summary>
    /// The first evidence file (original or public copy) whose first bytes are not what its declared media type starts
    /// with — the check the upload endpoint makes (<see cref="MediaTypes.Matches"/>), so a bundle cannot bring in what an
    /// upload could not.
    /// </summary>
    private static async Task<BundleViolation?> FirstMismatchedFileAsync(ZipArchive zip, BundleManifest m, CancellationToken ct)
    {
        for (int n = 0; n < m.Evidence.Count; n++)
        {
            var e = m.Evidence[n];
            foreach (var path in new[] { e.Path, e.PublicPath })
            {
                if (path is null || zip.GetEntry(path) is not { } entry) continue;
                var head = new byte[MediaTypes.SniffLength];
                int got;
                await using (var s = await entry.OpenAsync(ct)) got = await s.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
                if (!MediaTypes.Matches(e.MediaType, head.AsSpan(0, got)))
                    return new BundleViolation(BundleRules.KindEvidence, e.Id.ToString(CultureInfo.InvariantCulture), $"evidence[{n}]", "mediaType",
                        BundleRules.ContentDisagrees);
            }
        }
        return null;
    }

    /// <summary>A bundle that verified: its manifest and raw bytes, its evidence files (sha → entry name).</summary>
    public sealed record Checked(BundleManifest Manifest, string ManifestSha, Dictionary<string, string> Files);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Reject(string message) => throw new BundleRejectedException(message);

    private static string Shown(string name) => name.Length > 80 ? name[..80] + "…" : name;

    /// <summary>Checks everything a bundle claims, throwing <see cref="BundleRejectedException"/> at the first thing that fails.</summary>
    public static async Task<Checked> VerifyAsync(ZipArchive zip, EvidenceOptions limits, CancellationToken ct)
    {
        var entries = zip.Entries;
        if (entries.Count > limits.MaxImportEntries) Reject($"The bundle holds {entries.Count} files; at most {limits.MaxImportEntries} are accepted.");
        long total = 0;
        var files = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (IsUnsafeName(e.FullName))
                Reject($"The bundle holds a file named \"{Shown(e.FullName)}\": names with \"..\", absolute paths or backslashes are refused.");
            if (e.FullName.EndsWith('/')) continue; // a folder
            // The signed head (decision 0031) is checked against SHA256SUMS like every file, not kept: this network pins its own heads.
            if (e.FullName is not (ManifestName or SumsName or ReadmeName or KeyName or HeadName or SignatureName or TokenName or TsaChainName)
                && !EvidenceName().IsMatch(e.FullName))
                Reject($"The bundle holds an unexpected file \"{Shown(e.FullName)}\".");
            if (!files.TryAdd(e.FullName, e)) Reject($"The bundle holds {e.FullName} twice.");
            total += e.Length;
            if (e.Length < 0 || total > limits.MaxImportBytes)
                Reject($"The bundle's files would unpack to more than {EvidenceApi.Size(limits.MaxImportBytes)}.");
        }
        if (!files.ContainsKey(ManifestName)) Reject("The bundle has no manifest.json.");
        if (!files.ContainsKey(SumsName)) Reject("The bundle has no SHA256SUMS.");

        // Hash every file, reading no more than its header declares (a lying header is a bomb).
        var actual = new Dictionary<string, string>(StringComparer.Ordinal);
        byte[] manifestBytes = [], sumsBytes = [];
        foreach (var (name, e) in files)
        {
            bool keep = name is ManifestName or SumsName;
            if (keep && e.Length > 64 << 20) Reject($"{name} is too large.");
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var kept = keep ? new MemoryStream() : null;
            await using (var s = await e.OpenAsync(ct))
            {
                var buffer = new byte[1 << 16];
                long read = 0;
                int n;
                while ((n = await s.ReadAsync(buffer, ct)) > 0)
                {
                    if ((read += n) > e.Length) Reject($"{name} unpacks to more than its ZIP header says.");
                    hash.AppendData(buffer, 0, n);
                    kept?.Write(buffer, 0, n);
                }
                if (read != e.Length) Reject($"{name} unpacks to less than its ZIP header says.");
            }
            actual[name] = CustodyChain.Hex(hash.GetHashAndReset());
            if (name == ManifestName) manifestBytes = kept!.ToArray();
            if (name == SumsName) sumsBytes = kept!.ToArray();
        }

        // SHA256SUMS lists every other file, with the hash it has.
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(sumsBytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = SumLine().Match(line.TrimEnd('\r'));
            if (!m.Success) Reject("SHA256SUMS has a line that is not \"<sha256>  <file>\".");
            var name = m.Groups[2].Value;
            if (!actual.TryGetValue(name, out var hash) || name == SumsName) Reject($"SHA256SUMS lists {Shown(name)}, which is not in the bundle.");
            else if (hash != m.Groups[1].Value) Reject($"{Shown(name)} does not match SHA256SUMS: it was changed.");
            listed.Add(name);
        }
        foreach (var name in files.Keys.Where(n => n != SumsName && !listed.Contains(n)))
            Reject($"{Shown(name)} is not listed in SHA256SUMS.");

        BundleManifest? manifest = null;
        try { manifest = JsonSerializer.Deserialize<BundleManifest>(manifestBytes, Json); }
        catch (JsonException e) { Reject($"manifest.json is not valid: {(e.Path is { Length: > 0 } p ? "at " + p : "not JSON")}."); }
        if (manifest is null || manifest.Format != Format || manifest.Incident is null || manifest.Evidence is null || manifest.Custody is null
            || manifest.Timeline is null || manifest.Claims is null || manifest.Witnesses is null)
            Reject($"manifest.json is not a {Format} manifest.");
        var incidentId = manifest!.Incident.Id;

        // Every evidence file is in the bundle under its own hash, and the manifest's sizes and hashes are the files'.
        var evidenceFiles = new Dictionary<string, string>(StringComparer.Ordinal); // sha → entry name
        void Expect(string sha, string? path, long? size, string what)
        {
            if (path is null || EvidenceName().Match(path) is not { Success: true } m || m.Groups[1].Value != sha)
                Reject($"{what}: its path in manifest.json is not evidence/<its sha256>.");
            else if (!files.TryGetValue(path, out var e)) Reject($"{what}: {Shown(path)} is missing from the bundle.");
            else if (actual[path] != sha) Reject($"{what}: {Shown(path)} does not hash to {sha}: it was changed.");
            else if (size is { } s && e.Length != s) Reject($"{what}: {Shown(path)} is not {s} bytes long.");
            evidenceFiles.TryAdd(sha, path!);
        }
        foreach (var item in manifest.Evidence)
        {
            Expect(item.Sha256, item.Path, item.Size, $"Evidence item {item.Id}");
            if (item.PublicSha256 is { } p) Expect(p, item.PublicPath, null, $"The public copy of evidence item {item.Id}");
        }
        foreach (var name in files.Keys.Where(n => n.StartsWith("evidence/", StringComparison.Ordinal) && !evidenceFiles.ContainsValue(n)))
            Reject($"{Shown(name)} belongs to no evidence item in manifest.json.");

        // The custody chain: links, hashes, and the evidence files it names, read from the bundle.
        if (manifest.Custody.Count == 0) Reject("manifest.json has no custody log.");
        foreach (var c in manifest.Custody)
        {
            if (c.IncidentId != incidentId) Reject($"Custody entry {c.Seq} belongs to another incident.");
            if (c.At.ToUnixTimeMilliseconds() != c.AtUnixMs) Reject($"Custody entry {c.Seq}: its at and atUnixMs disagree.");
        }
        var verdict = CustodyChain.Verify(manifest.Custody.Select(c => c.ToEntry()),
            e => evidenceFiles.TryGetValue(e.ObjectHash, out var path) ? actual[path] : null);
        if (!verdict.Intact) Reject($"The custody log does not verify: {verdict.Reason}.");
        foreach (var item in manifest.Evidence)
        {
            var itemId = item.Id.ToString(CultureInfo.InvariantCulture);
            if (!manifest.Custody.Any(c => c is { Action: EvidenceApi.Added, ObjectType: "evidence" } && c.ObjectId == itemId && c.ObjectHash == item.Sha256))
                Reject($"Evidence item {item.Id} ({item.Sha256}) is not recorded in the custody log.");
            if (item.PublicSha256 is { } p
                && !manifest.Custody.Any(c => c is { Action: EvidenceApi.PublicCopy, ObjectType: "evidence" } && c.ObjectId == itemId && c.ObjectHash == p))
                Reject($"The public copy of evidence item {item.Id} is not recorded in the custody log.");
        }
        CheckProvenance(manifest);
        return new Checked(manifest, actual[ManifestName], evidenceFiles);
    }

    /// <summary>The verified incident, its records (new row ids) and its chain exactly as it came, plus "imported", in one transaction.</summary>
    private static async Task<ImportResult> RecordAsync(Checked bundle, WhistleDb db, CustodyLog custody, KeyRing keys, string actor, CancellationToken ct)
    {
        var m = bundle.Manifest;
        var i = m.Incident;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Incidents.Add(new Incident
        {
            Id = i.Id, Title = i.Title, OccurredAt = i.OccurredAt, Place = i.Place, Lat = i.Lat, Lon = i.Lon, Category = i.Category,
            Agencies = i.Agencies, PeopleAffected = i.PeopleAffected, Injured = i.Injured, Deaths = i.Deaths, NamesConsent = i.NamesConsent,
            NamesCipher = i.Names is { } names ? keys.Encrypt(names, Purpose.AffectedNames) : null,
            Status = i.Status, StatusNoteCipher = string.IsNullOrEmpty(i.StatusNote) ? null : keys.Encrypt(i.StatusNote, Purpose.IncidentNote),
            Published = false, CreatedBy = i.CreatedBy, CreatedAt = i.CreatedAt, UpdatedAt = i.UpdatedAt,
        });
        var items = m.Evidence.ToDictionary(e => e.Id, e => new EvidenceItem
        {
            IncidentId = i.Id, Sha256 = e.Sha256, Size = e.Size, MediaType = e.MediaType, FileName = e.FileName, Description = e.Description,
            CapturedAt = e.CapturedAt, Device = e.Device, LocationText = e.LocationText, Lat = e.Lat, Lon = e.Lon,
            PublicSha256 = e.PublicSha256, AddedBy = e.AddedBy, AddedAt = e.AddedAt,
        });
        db.Evidence.AddRange(items.Values);
        await db.SaveChangesAsync(ct); // evidence ids, for the claims' and witnesses' links
        long? Map(long? old) => old is { } o && items.TryGetValue(o, out var item) ? item.Id : null;

        db.Timeline.AddRange(m.Timeline.Select(t => new TimelineEntry
        {
            IncidentId = i.Id, At = t.At, Precision = t.Precision ?? Network.TimePrecision.Exact, Source = t.Source, Text = t.Text, Disputed = t.Disputed, AddedBy = t.AddedBy, AddedAt = t.AddedAt,
        }));
        db.Claims.AddRange(m.Claims.Select(c => new Claim
        {
            IncidentId = i.Id, ClaimantName = c.ClaimantName, ClaimantRole = c.ClaimantRole, Organisation = c.Organisation, Text = c.Text,
            SaidAt = c.SaidAt, Venue = c.Venue, SourceUrl = c.SourceUrl, Disputed = c.Disputed, DisputeNote = c.DisputeNote,
            AddedBy = c.AddedBy, AddedAt = c.AddedAt,
            Evidence = (c.Evidence ?? []).Where(x => Map(x.EvidenceId) is not null)
                .Select(x => new ClaimEvidence { EvidenceId = Map(x.EvidenceId)!.Value, Stance = x.Stance, Note = x.Note }).ToList(),
        }));
        db.Witnesses.AddRange(m.Witnesses.Select(w => new WitnessStatement
        {
            IncidentId = i.Id, TextCipher = string.IsNullOrEmpty(w.Text) ? null : keys.Encrypt(w.Text, Purpose.WitnessText), AudioEvidenceId = Map(w.AudioEvidenceId), Consent = w.Consent, ConsentAt = w.ConsentAt,
            NameCipher = w.Name is { } n ? keys.Encrypt(n, Purpose.WitnessName) : null,
            ContactCipher = w.Contact is { } c ? keys.Encrypt(c, Purpose.WitnessContact) : null,
            TakenAt = w.TakenAt, TakenBy = w.TakenBy,
        }));
        db.Custody.AddRange(m.Custody.OrderBy(c => c.Seq).Select(c => c.ToEntry()));
        await custody.AppendAsync(i.Id, EvidenceApi.Imported, actor, "export", ManifestName, bundle.ManifestSha, ct);
        await db.SaveChangesAsync(ct);
        // The chain names the exporting database's rows; each record, under its id here, is recorded after "imported".
        var records = await custody.RecordsAsync(i.Id, ct);
        foreach (var r in records) await custody.AppendAsync(i.Id, Recorded, actor, r, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new ImportResult(i.Id, items.Count, m.Custody.Count + 1 + records.Count);
    }
}
