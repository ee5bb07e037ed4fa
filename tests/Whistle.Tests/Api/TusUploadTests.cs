using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Privacy;
using Whistle.Submissions;

namespace Whistle.Tests.Api;

/// <summary>
/// Declares submissions and their files straight in the database, as <c>POST /api/v1/submissions</c> does (the intake
/// part of issue 15), and speaks raw tus 1.0 to /api/v1/uploads.
/// </summary>
public static class TusSeed
{
    public sealed record Declared(Guid Submission, string Secret, List<(long Id, string UploadId, byte[] Bytes)> Files);

    /// <summary>A video's first bytes (an ISO-BMFF "ftyp" box, brand isom) and then <paramref name="size"/> bytes in all, reproducibly random.</summary>
    public static byte[] Mp4(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        var head = new byte[] { 0, 0, 0, 0x20, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m' };
        head.CopyTo(bytes, 0);
        return bytes;
    }

    public static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    public static async Task<Declared> DeclareAsync(WhistleApp app, params (byte[] Bytes, string Type, string? ClaimedSha)[] files)
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
        var s = new Submission
        {
            ReceiptCode = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)), UploadSecretHash = keys.Hash("submission.secret:" + secret),
            State = SubmissionState.Uploading, ReceivedAt = DateTimeOffset.UtcNow, Language = "en",
        };
        foreach (var (bytes, type, claimed) in files)
            s.Files.Add(new SubmissionFile
            {
                UploadId = TusProtocol.NewUploadId(), FileName = "clip", MediaType = type, Length = bytes.Length,
                ClientSha256 = claimed ?? Sha(bytes), CreatedAt = DateTimeOffset.UtcNow,
            });
        db.Submissions.Add(s);
        await db.SaveChangesAsync();
        return new(s.Id, secret, s.Files.Select((f, i) => (f.Id, f.UploadId, files[i].Bytes)).ToList());
    }

    public static string Meta(params (string Key, string Value)[] pairs) =>
        string.Join(",", pairs.Select(p => p.Key + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(p.Value))));

    public static HttpRequestMessage Tus(HttpMethod method, string path)
    {
        var req = new HttpRequestMessage(method, path);
        req.Headers.Add("Tus-Resumable", "1.0.0");
        return req;
    }

    public static Task<HttpResponseMessage> CreateAsync(HttpClient c, Declared d, int file = 0, long? length = null, string? secret = null, Guid? submission = null) =>
        c.SendAsync(Creation(d, file, length, secret, submission));

    public static HttpRequestMessage Creation(Declared d, int file = 0, long? length = null, string? secret = null, Guid? submission = null)
    {
        var req = Tus(HttpMethod.Post, "/api/v1/uploads");
        req.Headers.Add("Upload-Length", (length ?? d.Files[file].Bytes.Length).ToString());
        req.Headers.Add("Upload-Metadata", Meta(("submission", (submission ?? d.Submission).ToString()), ("secret", secret ?? d.Secret),
            ("file", d.Files[file].Id.ToString()), ("filename", "clip.mp4"), ("filetype", "video/mp4"), ("sha256", Sha(d.Files[file].Bytes))));
        return req;
    }

    public static async Task<HttpResponseMessage> PatchAsync(HttpClient c, string uploadId, long offset, ReadOnlyMemory<byte> bytes,
        string? checksum = null, string contentType = TusApi.OffsetStream)
    {
        var req = Tus(HttpMethod.Patch, $"/api/v1/uploads/{uploadId}");
        req.Headers.Add("Upload-Offset", offset.ToString());
        if (checksum is not null) req.Headers.TryAddWithoutValidation("Upload-Checksum", checksum);
        req.Content = new ByteArrayContent(bytes.ToArray());
        req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await c.SendAsync(req);
    }

    public static async Task<long?> OffsetAsync(HttpClient c, string uploadId)
    {
        using var res = await c.SendAsync(Tus(HttpMethod.Head, $"/api/v1/uploads/{uploadId}"));
        return res.StatusCode == HttpStatusCode.OK ? long.Parse(res.Headers.GetValues("Upload-Offset").Single()) : null;
    }

    public static async Task<T> DbAsync<T>(WhistleApp app, Func<WhistleDb, Task<T>> read)
    {
        using var scope = app.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<WhistleDb>());
    }

    public static SubmissionOptions Options(WhistleApp app) => app.Services.GetRequiredService<IOptions<WhistleOptions>>().Value.Submissions;
}

/// <summary>Issue 15 §1: the tus 1.0 server — the protocol, the sealed staging, completion into the store, and the attacks on it.</summary>
public abstract class TusUploadTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static string Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : r.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : "";

    [Fact]
    public async Task Discovery_answers_the_versions_extensions_checksum_and_max_size_and_every_other_request_must_speak_1_0_0()
    {
        var c = app.CreateClient();
        using var options = await c.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/api/v1/uploads"));
        Assert.Equal(HttpStatusCode.NoContent, options.StatusCode);
        Assert.Equal("1.0.0", Header(options, "Tus-Resumable"));
        Assert.Equal("1.0.0", Header(options, "Tus-Version"));
        Assert.Equal("creation,termination,checksum", Header(options, "Tus-Extension"));
        Assert.Equal("sha256", Header(options, "Tus-Checksum-Algorithm"));
        Assert.Equal((2L << 30).ToString(), Header(options, "Tus-Max-Size"));

        var d = await TusSeed.DeclareAsync(app, (TusSeed.Mp4(1000, 1), "video/mp4", null));
        var creation = TusSeed.Creation(d);
        creation.Headers.Remove("Tus-Resumable");
        creation.Headers.Add("Tus-Resumable", "0.2.2");
        using var old = await c.SendAsync(creation);
        Assert.Equal(HttpStatusCode.PreconditionFailed, old.StatusCode);
        Assert.Equal("1.0.0", Header(old, "Tus-Version"));
        var head = new HttpRequestMessage(HttpMethod.Head, $"/api/v1/uploads/{d.Files[0].UploadId}");
        using var noVersion = await c.SendAsync(head);
        Assert.Equal(HttpStatusCode.PreconditionFailed, noVersion.StatusCode);
        Assert.Equal("1.0.0", Header(noVersion, "Tus-Resumable"));
    }

    [Fact]
    public async Task A_file_sent_in_checksummed_chunks_is_hashed_by_the_server_sealed_in_the_store_and_recorded_with_both_hashes()
    {
        var c = app.CreateClient();
        var bytes = TusSeed.Mp4(300_000, 2);
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", null));
        using var created = await TusSeed.CreateAsync(c, d);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/uploads/{d.Files[0].UploadId}", created.Headers.Location!.OriginalString);
        Assert.Equal("1.0.0", Header(created, "Tus-Resumable"));
        // Creating the same declared file again answers the same place (the page resumes with HEAD).
        using var again = await TusSeed.CreateAsync(c, d);
        Assert.Equal(created.Headers.Location, again.Headers.Location);

        long offset = 0;
        foreach (var size in new[] { 100_000, 150_000, 50_000 })
        {
            var chunk = bytes.AsMemory((int)offset, size);
            using var res = await TusSeed.PatchAsync(c, d.Files[0].UploadId, offset, chunk, "sha256 " + Convert.ToBase64String(SHA256.HashData(chunk.Span)));
            Assert.Equal(HttpStatusCode.NoContent, res.StatusCode);
            offset += size;
            Assert.Equal(offset.ToString(), Header(res, "Upload-Offset"));
            if (offset < bytes.Length)
            {
                using var head = await c.SendAsync(TusSeed.Tus(HttpMethod.Head, $"/api/v1/uploads/{d.Files[0].UploadId}"));
                Assert.Equal(offset.ToString(), Header(head, "Upload-Offset"));
                Assert.Equal(bytes.Length.ToString(), Header(head, "Upload-Length"));
                Assert.Contains("no-store", head.Headers.CacheControl!.ToString());
            }
        }

        var sha = TusSeed.Sha(bytes);
        var store = app.Services.GetRequiredService<EvidenceStore>();
        using (var stored = store.OpenRead(sha)) Assert.Equal(sha, SealedFile.HashPlain(stored));
        var (file, submission, chain) = await TusSeed.DbAsync(app, async db => (
            await db.SubmissionFiles.SingleAsync(f => f.Id == d.Files[0].Id),
            await db.Submissions.SingleAsync(s => s.Id == d.Submission),
            await db.Custody.Where(e => e.IncidentId == d.Submission).OrderBy(e => e.Seq).ToListAsync()));
        Assert.Equal(sha, file.Sha256);
        Assert.NotNull(file.CompletedAt);
        Assert.Equal(SubmissionState.Received, submission.State);
        Assert.NotNull(submission.CompletedAt);
        var received = Assert.Single(chain, e => e.Action == "file_received");
        Assert.Equal(("submission_file", file.Id.ToString(), sha, "submitter"), (received.ObjectType, received.ObjectId, received.ObjectHash, received.Actor));
        var fields = JsonNode.Parse(received.Fields!)!;
        Assert.Equal(sha, fields["clientSha256"]!.GetValue<string>());
        Assert.Equal(sha, fields["serverSha256"]!.GetValue<string>());
        Assert.True(CustodyChain.Verify(chain).Intact);
        Assert.False(app.Services.GetRequiredService<UploadStaging>().Exists(d.Files[0].UploadId));
        // After completion, HEAD still tells where it stands (a resumed page sees it is done).
        Assert.Equal(bytes.Length, await TusSeed.OffsetAsync(c, d.Files[0].UploadId));
    }

    [Fact]
    public async Task Each_malformed_PATCH_gets_its_status_and_nothing_of_it_is_kept()
    {
        var c = app.CreateClient();
        var bytes = TusSeed.Mp4(200_000, 3);
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        var id = d.Files[0].UploadId;
        using (var first = await TusSeed.PatchAsync(c, id, 0, bytes.AsMemory(0, 1000))) Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);

        using (var wrongType = await TusSeed.PatchAsync(c, id, 1000, bytes.AsMemory(1000, 1000), contentType: "application/octet-stream"))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        using (var behind = await TusSeed.PatchAsync(c, id, 0, bytes.AsMemory(0, 1000)))
        {
            Assert.Equal(HttpStatusCode.Conflict, behind.StatusCode);
            Assert.Equal("application/problem+json", behind.Content.Headers.ContentType!.MediaType);
        }
        using (var ahead = await TusSeed.PatchAsync(c, id, 5000, bytes.AsMemory(5000, 1000))) Assert.Equal(HttpStatusCode.Conflict, ahead.StatusCode);
        var damaged = "sha256 " + Convert.ToBase64String(SHA256.HashData(bytes.AsSpan(0, 1000)));
        using (var mismatch = await TusSeed.PatchAsync(c, id, 1000, bytes.AsMemory(1000, 1000), damaged)) Assert.Equal(460, (int)mismatch.StatusCode);
        using (var md5 = await TusSeed.PatchAsync(c, id, 1000, bytes.AsMemory(1000, 1000), "md5 " + Convert.ToBase64String(MD5.HashData(bytes.AsSpan(1000, 1000)))))
            Assert.Equal(HttpStatusCode.BadRequest, md5.StatusCode);
        var tooMuch = new byte[bytes.Length];
        using (var past = await TusSeed.PatchAsync(c, id, 1000, tooMuch)) Assert.Equal(HttpStatusCode.RequestEntityTooLarge, past.StatusCode);
        Assert.Equal(1000, await TusSeed.OffsetAsync(c, id));

        // The bytes that were kept are the right ones: the upload completes and the hashes agree.
        using (var rest = await TusSeed.PatchAsync(c, id, 1000, bytes.AsMemory(1000))) Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
        Assert.Equal(TusSeed.Sha(bytes), await TusSeed.DbAsync(app, db => db.SubmissionFiles.Where(f => f.Id == d.Files[0].Id).Select(f => f.Sha256).SingleAsync()));
    }

    [Fact]
    public async Task A_file_that_does_not_hash_to_the_phones_hash_is_refused_with_both_hashes_and_not_stored()
    {
        var c = app.CreateClient();
        var bytes = TusSeed.Mp4(70_000, 4);
        var claimed = TusSeed.Sha(TusSeed.Mp4(70_000, 5));
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", claimed));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        using var res = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 0, bytes);
        Assert.Equal(460, (int)res.StatusCode);
        var problem = JsonNode.Parse(await res.Content.ReadAsStringAsync())!;
        Assert.Equal(claimed, problem["clientSha256"]!.GetValue<string>());
        Assert.Equal(TusSeed.Sha(bytes), problem["serverSha256"]!.GetValue<string>());
        Assert.False(app.Services.GetRequiredService<EvidenceStore>().Exists(TusSeed.Sha(bytes)));
        Assert.False(app.Services.GetRequiredService<UploadStaging>().Exists(d.Files[0].UploadId));
        Assert.Equal(0, await TusSeed.OffsetAsync(c, d.Files[0].UploadId));
        var refused = await TusSeed.DbAsync(app, db => db.Custody.SingleAsync(e => e.IncidentId == d.Submission && e.Action == "file_refused"));
        Assert.Contains(claimed, refused.Fields);
        Assert.Contains(TusSeed.Sha(bytes), refused.Fields);
        Assert.Equal(SubmissionState.Uploading, await TusSeed.DbAsync(app, db => db.Submissions.Where(s => s.Id == d.Submission).Select(s => s.State).SingleAsync()));
    }

    [Theory]
    [InlineData("%PDF-1.7\n%\u00e2\u00e3\n1 0 obj")]
    [InlineData("<!doctype html><script>alert(1)</script>")]
    public async Task Bytes_of_a_pdf_or_a_web_page_declared_as_a_video_are_refused_at_the_first_PATCH(string start)
    {
        var c = app.CreateClient();
        var bytes = new byte[3_000_000];
        new Random(6).NextBytes(bytes);
        Encoding.Latin1.GetBytes(start).CopyTo(bytes, 0);
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        using var res = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 0, bytes.AsMemory(0, 100_000));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, res.StatusCode);
        Assert.Equal(0, await TusSeed.OffsetAsync(c, d.Files[0].UploadId));
        Assert.True(await TusSeed.DbAsync(app, db => db.Custody.AnyAsync(e => e.IncidentId == d.Submission && e.Action == "file_refused")));
    }

    [Fact]
    public async Task Termination_deletes_the_staged_bytes_and_drops_a_submission_left_with_no_file_but_cannot_withdraw_an_arrived_file()
    {
        var c = app.CreateClient();
        var bytes = TusSeed.Mp4(100_000, 7);
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        var id = d.Files[0].UploadId;
        (await TusSeed.PatchAsync(c, id, 0, bytes.AsMemory(0, 10_000))).EnsureSuccessStatusCode();
        Assert.True(app.Services.GetRequiredService<UploadStaging>().Exists(id));
        using (var del = await c.SendAsync(TusSeed.Tus(HttpMethod.Delete, $"/api/v1/uploads/{id}"))) Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        Assert.False(app.Services.GetRequiredService<UploadStaging>().Exists(id));
        Assert.Null(await TusSeed.OffsetAsync(c, id));
        using (var patch = await TusSeed.PatchAsync(c, id, 10_000, bytes.AsMemory(10_000, 10))) Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        using (var again = await c.SendAsync(TusSeed.Tus(HttpMethod.Delete, $"/api/v1/uploads/{id}"))) Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.False(await TusSeed.DbAsync(app, db => db.Submissions.AnyAsync(s => s.Id == d.Submission)));

        var done = await TusSeed.DeclareAsync(app, (TusSeed.Mp4(5000, 8), "video/mp4", null));
        (await TusSeed.CreateAsync(c, done)).EnsureSuccessStatusCode();
        (await TusSeed.PatchAsync(c, done.Files[0].UploadId, 0, done.Files[0].Bytes)).EnsureSuccessStatusCode();
        using (var withdraw = await c.SendAsync(TusSeed.Tus(HttpMethod.Delete, $"/api/v1/uploads/{done.Files[0].UploadId}")))
            Assert.Equal(HttpStatusCode.Forbidden, withdraw.StatusCode);
        Assert.True(app.Services.GetRequiredService<EvidenceStore>().Exists(TusSeed.Sha(done.Files[0].Bytes)));
    }

    [Fact]
    public async Task Guessed_ids_wrong_secrets_and_another_submissions_file_all_get_the_same_404()
    {
        var c = app.CreateClient();
        var mine = await TusSeed.DeclareAsync(app, (TusSeed.Mp4(1000, 9), "video/mp4", null));
        var theirs = await TusSeed.DeclareAsync(app, (TusSeed.Mp4(1000, 10), "video/mp4", null));
        var answers = new List<string>();
        foreach (var req in new[]
        {
            TusSeed.Creation(mine, secret: theirs.Secret),                                   // wrong secret
            TusSeed.Creation(mine, secret: mine.Secret, submission: Guid.NewGuid()),         // unknown submission
            TusSeed.Creation(theirs, secret: mine.Secret, submission: mine.Submission),      // their file under my submission
            TusSeed.Creation(theirs, secret: mine.Secret),                                   // their submission, my secret
        })
        {
            using var res = await c.SendAsync(req);
            Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
            var problem = JsonNode.Parse(await res.Content.ReadAsStringAsync())!;
            answers.Add($"{problem["title"]}|{problem["detail"]}|{string.Join(",", res.Headers.Select(h => h.Key).Where(k => k != "traceparent").Order())}");
        }
        Assert.Single(answers.Distinct());
        foreach (var guess in new[] { TusProtocol.NewUploadId(), "../../keys.json", "x", new string('a', 26) })
        {
            Assert.Null(await TusSeed.OffsetAsync(c, Uri.EscapeDataString(guess)));
            using var patch = await TusSeed.PatchAsync(c, Uri.EscapeDataString(guess), 0, new byte[10]);
            Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        }
    }

    [Fact]
    public async Task Creation_refuses_a_length_other_than_declared_too_large_a_file_and_malformed_metadata()
    {
        var c = app.CreateClient();
        var d = await TusSeed.DeclareAsync(app, (TusSeed.Mp4(1000, 11), "video/mp4", null));
        using (var other = await TusSeed.CreateAsync(c, d, length: 999)) Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        using (var huge = await TusSeed.CreateAsync(c, d, length: 3L << 30)) Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        foreach (var meta in new[]
        {
            TusSeed.Meta(("submission", d.Submission.ToString()), ("secret", d.Secret), ("file", d.Files[0].Id.ToString()), ("filename", "a\u0000b\u001b[31m.mp4")),
            TusSeed.Meta(("submission", d.Submission.ToString()), ("secret", d.Secret), ("file", d.Files[0].Id.ToString()), ("filename", new string('x', 5000))),
            TusSeed.Meta(("submission", d.Submission.ToString()), ("secret", d.Secret), ("file", d.Files[0].Id.ToString())) + ",file " + Convert.ToBase64String("1"u8),
            $"submission {d.Submission}, secret !!!",
            string.Join(",", Enumerable.Range(0, 40).Select(i => $"k{i} eA==")),
        })
        {
            var req = TusSeed.Tus(HttpMethod.Post, "/api/v1/uploads");
            req.Headers.Add("Upload-Length", "1000");
            req.Headers.TryAddWithoutValidation("Upload-Metadata", meta);
            using var res = await c.SendAsync(req);
            Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
            Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
        }
    }

    [Fact]
    public async Task Staged_bytes_are_encrypted_on_disk_owner_only_while_the_upload_is_under_way()
    {
        var c = app.CreateClient();
        var bytes = TusSeed.Mp4(200_000, 13);
        var marker = Encoding.ASCII.GetBytes("WITNESS-PLAINTEXT-MARKER-");
        for (int at = 100; at + marker.Length < 150_000; at += 1000) marker.CopyTo(bytes, at);
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        (await TusSeed.PatchAsync(c, d.Files[0].UploadId, 0, bytes.AsMemory(0, 150_000))).EnsureSuccessStatusCode();
        var staging = app.Services.GetRequiredService<UploadStaging>();
        var onDisk = await File.ReadAllBytesAsync(staging.PathOf(d.Files[0].UploadId));
        Assert.True(onDisk.Length > 150_000);
        Assert.Equal(-1, onDisk.AsSpan().IndexOf(marker.AsSpan(0, 12)));
        Assert.Equal(-1, onDisk.AsSpan().IndexOf("ftypisom"u8));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(staging.PathOf(d.Files[0].UploadId)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(staging.Root));
        }
    }

    [Fact]
    public async Task Below_the_free_space_floor_creation_and_PATCH_get_507_in_the_readers_language_and_the_admin_is_told()
    {
        var c = app.CreateClient();
        var o = TusSeed.Options(app);
        var floor = app.Services.GetRequiredService<StorageFloor>();
        var bytes = TusSeed.Mp4(50_000, 14);
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", null), (TusSeed.Mp4(50_000, 15), "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        var before = o.MinFreeBytes;
        try
        {
            o.MinFreeBytes = floor.FreeBytes() + (1L << 30);
            var create = TusSeed.Creation(d, file: 1);
            create.Headers.AcceptLanguage.ParseAdd("es");
            using (var full = await c.SendAsync(create))
            {
                Assert.Equal(HttpStatusCode.InsufficientStorage, full.StatusCode);
                var problem = JsonNode.Parse(await full.Content.ReadAsStringAsync())!;
                Assert.Equal("El almacenamiento de la red está lleno", problem["title"]!.GetValue<string>());
            }
            using (var patch = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 0, bytes.AsMemory(0, 1000))) Assert.Equal(HttpStatusCode.InsufficientStorage, patch.StatusCode);
            Assert.Equal(0, await TusSeed.OffsetAsync(c, d.Files[0].UploadId));
            var health = await c.GetStringAsync("/healthz");
            Assert.Contains("Degraded", health);
            Assert.Contains(app.Logs, l => l.Contains("Storage low", StringComparison.Ordinal));

            // A 2 GB video declared and trickling in: its remaining bytes count as used, so a floor that the disk
            // clears today but not once that video is in refuses new uploads now.
            var big = await TusSeed.DbAsync(app, async db =>
            {
                var file = new SubmissionFile { SubmissionId = d.Submission, UploadId = TusProtocol.NewUploadId(), FileName = "long.mov", MediaType = "video/quicktime",
                    Length = 2L << 30, ClientSha256 = new string('0', 64), CreatedAt = DateTimeOffset.UtcNow };
                db.SubmissionFiles.Add(file);
                await db.SaveChangesAsync();
                return file;
            });
            o.MinFreeBytes = floor.FreeBytes() - (1L << 30);
            using (var trickle = await TusSeed.CreateAsync(c, d, file: 1)) Assert.Equal(HttpStatusCode.InsufficientStorage, trickle.StatusCode);
            await TusSeed.DbAsync(app, db => db.SubmissionFiles.Where(f => f.Id == big.Id).ExecuteDeleteAsync());

            o.MinFreeBytes = 0;
            using (var ok = await TusSeed.CreateAsync(c, d, file: 1)) Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            using (var patch = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 0, bytes)) Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
            Assert.DoesNotContain("Degraded", await c.GetStringAsync("/healthz"));
        }
        finally { o.MinFreeBytes = before; }
    }

    [Fact]
    public async Task Past_the_byte_budgets_PATCH_gets_429_with_Retry_After_and_the_bytes_already_in_stay()
    {
        var c = app.CreateClient();
        var o = TusSeed.Options(app);
        var (perDay, perHour) = (o.SourceBytesPerDay, o.NetworkBytesPerHour);
        var bytes = TusSeed.Mp4(300_000, 16);
        var d = await TusSeed.DeclareAsync(app, (bytes, "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        try
        {
            using (var first = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 0, bytes.AsMemory(0, 100_000))) Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
            o.SourceBytesPerDay = 1; // what this source already sent today is past it
            using (var held = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 100_000, bytes.AsMemory(100_000, 100_000)))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
                Assert.True(held.Headers.RetryAfter!.Delta > TimeSpan.Zero);
            }
            Assert.Equal(100_000, await TusSeed.OffsetAsync(c, d.Files[0].UploadId));
            o.SourceBytesPerDay = perDay;
            o.NetworkBytesPerHour = 1;
            using (var held = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 100_000, bytes.AsMemory(100_000, 100_000)))
                Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
            o.NetworkBytesPerHour = perHour;
            using (var rest = await TusSeed.PatchAsync(c, d.Files[0].UploadId, 100_000, bytes.AsMemory(100_000))) Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
            Assert.Equal(TusSeed.Sha(bytes), await TusSeed.DbAsync(app, db => db.SubmissionFiles.Where(f => f.Id == d.Files[0].Id).Select(f => f.Sha256).SingleAsync()));
        }
        finally { (o.SourceBytesPerDay, o.NetworkBytesPerHour) = (perDay, perHour); }
    }
}

public sealed class TusUploadTestsSqlite(SqliteApp a) : TusUploadTests<SqliteApp>(a);
public sealed class TusUploadTestsPostgres(PostgresApp a) : TusUploadTests<PostgresApp>(a);

/// <summary>A request body that sends its first bytes, then waits to be released before sending the rest.</summary>
internal sealed class HeldContent : HttpContent
{
    private readonly ReadOnlyMemory<byte> bytes;
    private readonly int before;
    private readonly Task release;

    public HeldContent(ReadOnlyMemory<byte> bytes, int before, Task release)
    {
        (this.bytes, this.before, this.release) = (bytes, before, release);
        Headers.ContentType = new MediaTypeHeaderValue(TusApi.OffsetStream);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(bytes[..before]);
        await stream.FlushAsync();
        await release;
        await stream.WriteAsync(bytes[before..]);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = bytes.Length;
        return true;
    }
}

/// <summary>Abandoned uploads go after Whistle:Submissions:AbandonedHours without bytes (the app's clock is a fake one here).</summary>
public sealed class TusExpiryTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly CustomApp _app;

    public TusExpiryTests() => _app = new CustomApp(new() { ["Whistle:Submissions:AbandonedHours"] = "72" },
        s => s.AddSingleton<TimeProvider>(_clock));

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task An_upload_with_no_bytes_for_the_abandoned_hours_is_deleted_and_its_submission_dropped()
    {
        var c = _app.CreateClient();
        var bytes = TusSeed.Mp4(100_000, 17);
        var d = await TusSeed.DeclareAsync(_app, (bytes, "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        (await TusSeed.PatchAsync(c, d.Files[0].UploadId, 0, bytes.AsMemory(0, 10_000))).EnsureSuccessStatusCode();
        var expiry = _app.Services.GetRequiredService<UploadExpiry>();
        var staging = _app.Services.GetRequiredService<UploadStaging>();
        _clock.Advance(TimeSpan.FromHours(71));
        Assert.Equal(0, await expiry.RunOnceAsync(CancellationToken.None));
        Assert.Equal(10_000, await TusSeed.OffsetAsync(c, d.Files[0].UploadId));
        _clock.Advance(TimeSpan.FromHours(2));
        // The service's own timer may have run the pass as the clock moved; either way it is done after this one.
        await expiry.RunOnceAsync(CancellationToken.None);
        Assert.False(staging.Exists(d.Files[0].UploadId));
        Assert.Null(await TusSeed.OffsetAsync(c, d.Files[0].UploadId));
        Assert.False(await TusSeed.DbAsync(_app, db => db.Submissions.AnyAsync(s => s.Id == d.Submission)));
    }
}

/// <summary>
/// tus-js-client itself (the page's library, 4.3.1 from npm) run by Node against a real Kestrel port: a multi-MB file
/// in chunks, and an upload cut off mid-way that a second client finds in its URL storage and resumes from the
/// server's offset. The stored file hashes to the client's hash.
/// </summary>
public sealed class TusJsClientTests : IDisposable
{
    private readonly int _port = CustomApp.FreePort();
    private readonly CustomApp _app;

    public TusJsClientTests() => _app = new CustomApp(new(), kestrelPort: _port);

    public void Dispose() => _app.Dispose();

    private static string ProjectDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Whistle.Tests.csproj"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("tests/Whistle.Tests not found above " + AppContext.BaseDirectory);
    }

    private async Task<JsonNode> NodeAsync(string mode, TusSeed.Declared d)
    {
        var file = Path.Combine(_app.DataDir, "clip-" + mode + ".mp4");
        await File.WriteAllBytesAsync(file, d.Files[0].Bytes);
        var project = ProjectDir();
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = project, RedirectStandardOutput = true, RedirectStandardError = true,
            ArgumentList = { Path.Combine(project, "Tus", "tus-client.js"), mode, $"http://127.0.0.1:{_port}/api/v1/uploads", file,
                d.Submission.ToString(), d.Secret, d.Files[0].Id.ToString(), TusSeed.Sha(d.Files[0].Bytes) },
        };
        using var node = Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await node.WaitForExitAsync(cts.Token);
        Assert.True(node.ExitCode == 0, $"node {mode} failed: {await stderr}\n{await stdout}");
        return JsonNode.Parse((await stdout).Trim().Split('\n').Last())!;
    }

    private async Task AssertStoredAsync(TusSeed.Declared d)
    {
        var sha = TusSeed.Sha(d.Files[0].Bytes);
        using (var stored = _app.Services.GetRequiredService<EvidenceStore>().OpenRead(sha)) Assert.Equal(sha, SealedFile.HashPlain(stored));
        var state = await TusSeed.DbAsync(_app, db => db.Submissions.Where(s => s.Id == d.Submission).Select(s => s.State).SingleAsync());
        Assert.Equal(SubmissionState.Received, state);
    }

    // Over a real socket: the in-memory test server hands the handler a request body only once it is whole.
    [Fact]
    public async Task Two_PATCHes_at_once_on_one_upload_one_wins_and_the_other_gets_409()
    {
        using var c = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        var bytes = TusSeed.Mp4(400_000, 12);
        var d = await TusSeed.DeclareAsync(_app, (bytes, "video/mp4", null));
        (await TusSeed.CreateAsync(c, d)).EnsureSuccessStatusCode();
        var id = d.Files[0].UploadId;
        var staging = _app.Services.GetRequiredService<UploadStaging>();
        var release = new TaskCompletionSource();
        var slow = new HeldContent(bytes.AsMemory(0, 200_000), 100_000, release.Task);
        var req = TusSeed.Tus(HttpMethod.Patch, $"/api/v1/uploads/{id}");
        req.Headers.Add("Upload-Offset", "0");
        req.Content = slow;
        var first = c.SendAsync(req);
        // The first PATCH holds the upload once its first bytes are staged.
        await WhistleApp.EventuallyAsync(() => Task.FromResult(staging.Exists(id) && new FileInfo(staging.PathOf(id)).Length > 60_000), x => x, "the first PATCH's bytes staged");
        using (var second = await TusSeed.PatchAsync(c, id, 0, bytes.AsMemory(0, 200_000))) Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        release.SetResult();
        using (var won = await first) Assert.Equal(HttpStatusCode.NoContent, won.StatusCode);
        Assert.Equal(200_000, await TusSeed.OffsetAsync(c, id));
        (await TusSeed.PatchAsync(c, id, 200_000, bytes.AsMemory(200_000))).EnsureSuccessStatusCode();
        Assert.Equal(TusSeed.Sha(bytes), await TusSeed.DbAsync(_app, db => db.SubmissionFiles.Where(f => f.Id == d.Files[0].Id).Select(f => f.Sha256).SingleAsync()));
    }

    [Fact]
    public async Task Tus_js_client_uploads_a_multi_megabyte_file_in_chunks_and_the_store_holds_it_byte_for_byte()
    {
        var d = await TusSeed.DeclareAsync(_app, (TusSeed.Mp4(6 * 1024 * 1024 + 12_345, 18), "video/mp4", null));
        var result = await NodeAsync("whole", d);
        Assert.Equal($"http://127.0.0.1:{_port}/api/v1/uploads/{d.Files[0].UploadId}", result["url"]!.GetValue<string>());
        Assert.Equal(7, result["patches"]!.GetValue<int>());
        await AssertStoredAsync(d);
    }

    [Fact]
    public async Task Tus_js_client_cut_off_mid_upload_resumes_from_the_servers_offset_through_its_url_storage()
    {
        var d = await TusSeed.DeclareAsync(_app, (TusSeed.Mp4(5 * 1024 * 1024 + 777, 19), "video/mp4", null));
        var result = await NodeAsync("resume", d);
        long resumedAt = result["firstOffsetAfterResume"]!.GetValue<long>();
        Assert.True(resumedAt >= 2 * 1024 * 1024, $"the second client started at {resumedAt}, not where the first stopped");
        Assert.Equal(0, result["left"]!.GetValue<int>()); // removeFingerprintOnSuccess
        await AssertStoredAsync(d);
    }
}
