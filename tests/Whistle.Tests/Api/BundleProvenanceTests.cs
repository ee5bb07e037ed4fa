using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Incidents;
using Whistle.Submissions;
using Whistle.Tests.Fixtures;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 15 §3: the export bundle proves that a bystander's file is byte for byte what left the phone. The submission
/// is recorded as intake and upload record it (its own custody chain: submission_received, file_received with the
/// server's hash, the bytes sealed in the evidence store) and is attached through the review queue's API
/// (POST /api/v1/review/submissions/{id}/attach), so these tests do not depend on the upload part.
/// </summary>
public abstract class BundleProvenanceTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    public sealed record Sent(Guid SubmissionId, string ReceiptCode, Dictionary<string, (long FileId, long EvidenceId, string Sha)> Files);

    private static readonly (string Path, string Name, string Type)[] PhoneFiles =
    [
        (MediaFixtures.VideoWithGps(), "IMG_0001.MP4", "video/mp4"),
        (MediaFixtures.JpegWithGps(), "IMG_0002.JPG", "image/jpeg"),
        (MediaFixtures.Audio(), "voice.ogg", "audio/ogg"),
    ];

    /// <summary>A submission of <paramref name="files"/> (each made unique with trailing bytes where the format allows), received and attached to <paramref name="incident"/>.</summary>
    public static async Task<Sent> SubmitAndAttachAsync(WhistleApp app, HttpClient documenter, Guid incident,
        SubmissionConsent consent = SubmissionConsent.PublishBlurred)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var custody = scope.ServiceProvider.GetRequiredService<CustodyLog>();
        var code = "T" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4))[..3] + "-2XRD-94TB";
        var submission = new Submission
        {
            ReceiptCode = code, UploadSecretHash = RandomNumberGenerator.GetBytes(32), State = SubmissionState.Uploading, Consent = consent,
            BlurRequested = true, Language = "so", ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-30),
        };
        var bytes = PhoneFiles.ToDictionary(f => f.Name, f => File.ReadAllBytes(f.Path));
        // The JPEG may carry bytes after its end (decoders stop at EOI): one incident's photo is not another's.
        bytes["IMG_0002.JPG"] = [.. bytes["IMG_0002.JPG"], .. Encoding.ASCII.GetBytes(submission.Id.ToString())];
        foreach (var (_, name, type) in PhoneFiles)
            submission.Files.Add(new SubmissionFile
            {
                UploadId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(13)), FileName = name, MediaType = type,
                Length = bytes[name].Length, Offset = bytes[name].Length, ClientSha256 = Sha(bytes[name]), CreatedAt = submission.ReceivedAt,
            });
        // The bytes sealed in the evidence store, as the upload's completion leaves them.
        var store = scope.ServiceProvider.GetRequiredService<EvidenceStore>();
        foreach (var b in bytes.Values) await store.SaveAsync(new MemoryStream(b), long.MaxValue, default);
        db.Submissions.Add(submission);
        await custody.AppendAsync(submission.Id, "submission_received", "submitter", "submission", submission.Id.ToString(), "", default);
        await db.SaveChangesAsync();
        foreach (var f in submission.Files)
        {
            f.Sha256 = f.ClientSha256;
            f.CompletedAt = DateTimeOffset.UtcNow.AddMinutes(-20);
            await custody.AppendAsync(submission.Id, "file_received", "submitter", "submission_file", f.Id.ToString(CultureInfo.InvariantCulture), f.Sha256, default);
        }
        submission.State = SubmissionState.Received;
        submission.CompletedAt = DateTimeOffset.UtcNow.AddMinutes(-20);
        await db.SaveChangesAsync();

        // Attached through the review queue's API, as a documenter does.
        var res = await documenter.PostAsJsonAsync($"/api/v1/review/submissions/{submission.Id}/attach", new { incidentId = incident });
        Assert.True(res.StatusCode == HttpStatusCode.OK, await res.Content.ReadAsStringAsync());
        var ids = (await res.Content.ReadFromJsonAsync<JsonObject>())!["evidenceIds"]!.AsObject();
        var files = submission.Files.ToDictionary(f => f.FileName,
            f => (f.Id, ids[f.Id.ToString(CultureInfo.InvariantCulture)]!.GetValue<long>(), f.Sha256!));
        return new Sent(submission.Id, code, files);
    }

    private async Task<(Guid Incident, Sent Sent, byte[] Bundle, HttpClient Documenter)> ExportedAsync()
    {
        var documenter = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app, "Bystander videos at Lake St");
        var sent = await SubmitAndAttachAsync(app, documenter, incident);
        var res = await documenter.PostAsync($"/api/v1/incidents/{incident}/export", null);
        Assert.True(res.StatusCode == HttpStatusCode.OK, await res.Content.ReadAsStringAsync());
        return (incident, sent, await res.Content.ReadAsByteArrayAsync(), documenter);
    }

    [Fact]
    public async Task An_export_names_each_bystander_file_with_its_receipt_code_consent_blur_both_hashes_and_the_submissions_own_chain()
    {
        var (_, sent, bundle, _) = await ExportedAsync();
        var manifest = EvidenceBundleFixture.Manifest(bundle);
        var submission = Assert.Single(manifest["submissions"]!.AsArray())!;
        Assert.Equal(sent.SubmissionId, submission["id"]!.GetValue<Guid>());
        Assert.Equal(sent.ReceiptCode, submission["receiptCode"]!.GetValue<string>());
        Assert.Equal("publish_blurred", submission["consent"]!.GetValue<string>());
        Assert.True(submission["blurRequested"]!.GetValue<bool>());
        Assert.NotNull(submission["receivedAt"]);
        Assert.Equal(3, submission["files"]!.AsArray().Count);
        var evidence = manifest["evidence"]!.AsArray();
        foreach (var f in submission["files"]!.AsArray())
        {
            var name = f!["fileName"]!.GetValue<string>();
            var (fileId, evidenceId, sha) = sent.Files[name];
            Assert.Equal((fileId, evidenceId), (f["fileId"]!.GetValue<long>(), f["evidenceId"]!.GetValue<long>()));
            Assert.Equal(sha, f["phoneSha256"]!.GetValue<string>());
            Assert.Equal(sha, f["serverSha256"]!.GetValue<string>());
            var item = evidence.Single(e => e!["id"]!.GetValue<long>() == evidenceId)!;
            Assert.Equal(item["path"]!.GetValue<string>(), f["path"]!.GetValue<string>());
            // The file in the bundle is the phone's, byte for byte.
            Assert.Equal(sha, Sha(EvidenceBundleFixture.Entry(bundle, f["path"]!.GetValue<string>())));
        }
        // The submission's chain, whole and unbroken, beside the incident's; the contact and the texts are not in the bundle.
        var chain = submission["custody"]!.AsArray().Select(c => c!.Deserialize<BundleCustody>(IncidentBundle.Json)!).ToList();
        Assert.Equal(["submission_received", "file_received", "file_received", "file_received", "attached"], chain.Select(c => c.Action));
        Assert.All(chain, c => Assert.Equal(sent.SubmissionId, c.IncidentId));
        Assert.True(CustodyChain.Verify(chain.Select(c => c.ToEntry())).Intact);
        Assert.DoesNotContain("contact", submission.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("FILES SENT FROM A BYSTANDER'S PHONE", Encoding.UTF8.GetString(EvidenceBundleFixture.Entry(bundle, "README.txt")));
    }

    [Fact]
    public async Task The_READMEs_commands_prove_each_file_is_what_left_the_phone_and_catch_a_changed_file_or_a_changed_entry()
    {
        var (_, sent, bundle, _) = await ExportedAsync();
        var dir = Directory.CreateTempSubdirectory("whistle-provenance-").FullName;
        try
        {
            ZipFile.ExtractToDirectory(new MemoryStream(bundle), dir);
            var (code, output) = Shell.Run(dir, "sha256sum -c SHA256SUMS");
            Assert.True(code == 0, output);
            var jqs = Shell.Commands(dir, "jq");
            Assert.Equal(5 + 5, jqs.Count); // the incident's five, and the provenance part's five (9, 10, 11 twice, 12)
            foreach (var command in jqs)
            {
                var (c, o) = Shell.Run(dir, command);
                Assert.True(c == 0, $"{command}\n{o}");
                Assert.DoesNotContain("BROKEN", o);
                Assert.DoesNotContain("false", o);
                Assert.DoesNotContain("FAILED", o);
            }
            var phoneCheck = jqs.Single(j => j.Contains("phoneSha256)  ", StringComparison.Ordinal));
            Assert.Equal(3, Shell.Run(dir, phoneCheck).Output.Split('\n').Count(l => l.EndsWith(": OK", StringComparison.Ordinal)));
            var receipts = Shell.Run(dir, jqs.Single(j => j.Contains("receiptCode as $r", StringComparison.Ordinal))).Output;
            foreach (var (name, (_, _, fileSha)) in sent.Files) Assert.Contains($"{sent.ReceiptCode}\t{name}\t{fileSha}", receipts);
            var entryHashes = jqs.Single(j => j.StartsWith("jq -r '.submissions[].custody[]", StringComparison.Ordinal));
            Assert.Contains($"ok {sent.SubmissionId} 5", Shell.Run(dir, entryHashes).Output);

            // A changed video: the phone's hash says so.
            var video = Path.Combine(dir, EvidenceBundleFixture.Manifest(bundle)["submissions"]![0]!["files"]!.AsArray()
                .Single(f => f!["fileName"]!.GetValue<string>() == "IMG_0001.MP4")!["path"]!.GetValue<string>());
            var original = File.ReadAllBytes(video);
            var changed = (byte[])original.Clone();
            changed[changed.Length / 2] ^= 1;
            File.WriteAllBytes(video, changed);
            var (bad, badOutput) = Shell.Run(dir, phoneCheck);
            Assert.NotEqual(0, bad);
            Assert.Contains($"{Path.GetRelativePath(dir, video)}: FAILED", badOutput);
            File.WriteAllBytes(video, original);

            // A changed entry of the submission's chain (someone claims another hash arrived): the hash check says so.
            var manifestPath = Path.Combine(dir, "manifest.json");
            var manifest = File.ReadAllText(manifestPath);
            var sha = sent.Files["IMG_0002.JPG"].Sha;
            var forged = new string('a', 64);
            File.WriteAllText(manifestPath, manifest.Replace($"\"objectHash\": \"{sha}\"", $"\"objectHash\": \"{forged}\""));
            Assert.Contains($"BROKEN {sent.SubmissionId} 3", Shell.Run(dir, entryHashes).Output);
            Assert.NotEqual(0, Shell.Run(dir, jqs[^1]).Code); // step 12: the arrival no longer names the file's hash
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_submission_chain_changed_in_the_database_refuses_the_export_instead_of_shipping_it()
    {
        var documenter = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app, "A chain someone edited");
        var sent = await SubmitAndAttachAsync(app, documenter, incident);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var entry = await db.Custody.SingleAsync(c => c.IncidentId == sent.SubmissionId && c.Seq == 2);
            entry.ObjectHash = new string('b', 64); // the server's hash rewritten
            await db.SaveChangesAsync();
        }
        var res = await documenter.PostAsync($"/api/v1/incidents/{incident}/export", null);
        Assert.Equal(HttpStatusCode.Conflict, res.StatusCode);
        Assert.Contains(sent.ReceiptCode, await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_public_copies_of_a_bystanders_video_and_photo_in_the_bundle_carry_no_location()
    {
        var (_, sent, bundle, _) = await ExportedAsync();
        var manifest = EvidenceBundleFixture.Manifest(bundle);
        var evidence = manifest["evidence"]!.AsArray();
        var dir = Directory.CreateTempSubdirectory("whistle-public-").FullName;
        try
        {
            foreach (var name in new[] { "IMG_0001.MP4", "IMG_0002.JPG" })
            {
                var item = evidence.Single(e => e!["id"]!.GetValue<long>() == sent.Files[name].EvidenceId)!;
                var original = EvidenceBundleFixture.Entry(bundle, item["path"]!.GetValue<string>());
                var publicPath = item["publicPath"]?.GetValue<string>();
                Assert.True(publicPath is not null, $"{name} has no public copy in the bundle");
                var copy = EvidenceBundleFixture.Entry(bundle, publicPath!);
                var originalFile = Path.Combine(dir, "original-" + name);
                var copyFile = Path.Combine(dir, "public-" + name);
                File.WriteAllBytes(originalFile, original);
                File.WriteAllBytes(copyFile, copy);
                if (name.EndsWith(".MP4", StringComparison.Ordinal))
                {
                    Assert.True(MediaFixtures.MovieHasLocation(originalFile), "the original lost its location: lawyers need it");
                    Assert.False(MediaFixtures.MovieHasLocation(copyFile), "the public copy of the video still holds its location");
                    Ffmpeg.Run("ffmpeg", $"-v error -i {copyFile} -f null -"); // and it still plays
                }
                else
                {
                    Assert.True(MediaFixtures.JpegHasGps(original), "the original lost its GPS: lawyers need it");
                    Assert.False(MediaFixtures.JpegHasGps(copy), "the public copy of the photo still has a GPS IFD");
                    Ffmpeg.Run("ffmpeg", $"-v error -i {copyFile} -f null -");
                }
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task An_import_refuses_a_bundle_whose_phone_hash_was_rewritten_even_with_SHA256SUMS_redone()
    {
        var (_, sent, bundle, documenter) = await ExportedAsync();
        var sha = sent.Files["voice.ogg"].Sha;
        var forged = Rewrite(bundle, "manifest.json", m => m.Replace($"\"phoneSha256\": \"{sha}\"", $"\"phoneSha256\": \"{new string('c', 64)}\""));
        var res = await documenter.PostAsync("/api/v1/incidents/import", Body(forged, "application/zip"));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("phone and server hashes differ", await res.Content.ReadAsStringAsync());
    }

    /// <summary>The bundle with one text entry changed and SHA256SUMS recomputed (what a careful forger does).</summary>
    private static byte[] Rewrite(byte[] bundle, string name, Func<string, string> change)
    {
        using var input = new ZipArchive(new MemoryStream(bundle), ZipArchiveMode.Read);
        var entries = input.Entries.Where(e => e.FullName != "SHA256SUMS").ToDictionary(e => e.FullName, e =>
        {
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
        entries[name] = Encoding.UTF8.GetBytes(change(Encoding.UTF8.GetString(entries[name])));
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (n, b) in entries.Append(new("SHA256SUMS", Encoding.UTF8.GetBytes(string.Concat(entries.Select(e => $"{Sha(e.Value)}  {e.Key}\n"))))))
            {
                using var s = zip.CreateEntry(n).Open();
                s.Write(b);
            }
        }
        return output.ToArray();
    }
}

public sealed class BundleProvenanceTestsSqlite(SqliteApp a) : BundleProvenanceTests<SqliteApp>(a);
public sealed class BundleProvenanceTestsPostgres(PostgresApp a) : BundleProvenanceTests<PostgresApp>(a);

/// <summary>bash as a process in a folder: what a lawyer types, run for real.</summary>
public static class Shell
{
    public static (int Code, string Output) Run(string dir, string script)
    {
        var psi = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    /// <summary>The commands of README.txt, exactly as printed there (each on a line starting with the tool's name).</summary>
    public static List<string> Commands(string dir, string tool) => File.ReadAllLines(Path.Combine(dir, "README.txt"))
        .Select(l => l.Trim()).Where(l => l.StartsWith(tool + " ", StringComparison.Ordinal)).ToList();
}
