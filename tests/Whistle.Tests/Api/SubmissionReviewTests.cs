using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
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
using Whistle.Privacy;
using Whistle.Submissions;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// A bystander's submission as the intake and tus parts leave it (issue 15), made here directly: its files sealed in the
/// evidence store, its texts and contact encrypted, custody "submission_received" and "file_received" on its own chain.
/// </summary>
public static class SubmissionSeed
{
    public sealed record Seeded(Guid Id, string ReceiptCode, List<(long Id, string Sha256, byte[] Bytes, string Type)> Files);

    public const string What = "Two agents pulled a man from a red car <script>alert(1)</script>";
    public const string Place = "Lake St & 14th Ave";

    private static string Code()
    {
        const string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        var b = RandomNumberGenerator.GetBytes(12);
        var c = new string(b.Select(x => alphabet[x % 32]).ToArray());
        return $"{c[..4]}-{c[4..8]}-{c[8..12]}";
    }

    public static async Task<Seeded> SeedAsync(WhistleApp app, (string Name, string Type, byte[] Bytes)[] files,
        SubmissionState state = SubmissionState.Received, string? contact = null, string language = "en",
        SubmissionConsent consent = SubmissionConsent.PublishBlurred, bool contactPurged = false, DateTimeOffset? receivedAt = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
        var store = scope.ServiceProvider.GetRequiredService<EvidenceStore>();
        var custody = scope.ServiceProvider.GetRequiredService<CustodyLog>();
        var now = receivedAt ?? DateTimeOffset.UtcNow;
        var s = new Submission
        {
            ReceiptCode = Code(), UploadSecretHash = keys.Hash("submission.secret:" + Guid.NewGuid()), State = state, Consent = consent,
            Language = language, WhatCipher = keys.Encrypt(What, Purpose.SubmissionText), PlaceCipher = keys.Encrypt(Place, Purpose.SubmissionText),
            PositionCipher = keys.Encrypt("44.9485,-93.2555", Purpose.SubmissionText), ObservedAt = now.AddMinutes(-30),
            ContactCipher = contact is null || contactPurged ? null : keys.Encrypt(contact, Purpose.SubmitterContact),
            ContactPurgeAt = contact is null ? null : contactPurged ? now.AddHours(-1) : now.AddDays(3),
            ReceivedAt = now, CompletedAt = state == SubmissionState.Uploading ? null : now,
        };
        var seeded = new List<(string Sha, byte[] Bytes, string Type)>();
        foreach (var (name, type, bytes) in files)
        {
            var (sha, size) = await store.SaveAsync(new MemoryStream(bytes), long.MaxValue, default);
            bool done = state != SubmissionState.Uploading;
            s.Files.Add(new SubmissionFile
            {
                UploadId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(13)), FileName = name, MediaType = type, Length = size,
                Offset = done ? size : 0, ClientSha256 = sha, Sha256 = done ? sha : null, CreatedAt = now, CompletedAt = done ? now : null,
            });
            seeded.Add((sha, bytes, type));
        }
        db.Submissions.Add(s);
        await db.SaveChangesAsync();
        await custody.AppendAsync(s.Id, "submission_received", "submitter", "submission", s.Id.ToString("D"), Sha(Encoding.UTF8.GetBytes(s.ReceiptCode)), default);
        foreach (var f in s.Files.Where(f => f.Sha256 is not null))
            await custody.AppendAsync(s.Id, "file_received", "submitter", "submission_file", f.Id.ToString(), f.Sha256!, default);
        await db.SaveChangesAsync();
        return new(s.Id, s.ReceiptCode, s.Files.Select((f, i) => (f.Id, seeded[i].Sha, seeded[i].Bytes, seeded[i].Type)).ToList());
    }

    /// <summary>A small file that starts like an MP4 (ftyp), unique each time.</summary>
    public static byte[] Mp4Like() => [0, 0, 0, 0x18, .. "ftypisom"u8.ToArray(), 0, 0, 2, 0, .. "isommp41"u8.ToArray(), .. RandomNumberGenerator.GetBytes(3000)];

    /// <summary>A small file that starts like an MP3 (ID3), unique each time.</summary>
    public static byte[] Mp3Like() => [.. "ID3"u8.ToArray(), 4, 0, 0, 0, 0, 0, 0, .. RandomNumberGenerator.GetBytes(500)];

    public static byte[] Jpeg() => [.. JpegWithGps(), .. Guid.NewGuid().ToByteArray()];
}

/// <summary>
/// Issue 15 §2: the documenters' review queue over HTTP — list, detail (contact kind, never the address), the file stream
/// (ranges, media type, safe name, custody views), attach (existing or new incident; custody intact; export holds the
/// files), reject (reason kept, files kept), the blur flag and the one message through the submitter's channel.
/// </summary>
public abstract class SubmissionReviewTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private const string Base = "/api/v1/review/submissions";

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage res) => (await res.Content.ReadFromJsonAsync<JsonObject>())!;

    private async Task<List<CustodyEntry>> ChainAsync(Guid id) => await CustodyAsync(app, id);

    [Fact]
    public async Task The_list_filters_by_state_newest_first_and_pages_with_a_cursor_without_repeats()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        // Far in the past, so that other tests' submissions (made now) come before them in the list.
        var t0 = new DateTimeOffset(2020, 1, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(Random.Shared.Next(100_000));
        var older = await SubmissionSeed.SeedAsync(app, [("a.mp4", "video/mp4", SubmissionSeed.Mp4Like())], receivedAt: t0);
        var middle = await SubmissionSeed.SeedAsync(app, [("b.mp4", "video/mp4", SubmissionSeed.Mp4Like())], receivedAt: t0.AddMinutes(1));
        var newer = await SubmissionSeed.SeedAsync(app, [("c.mp4", "video/mp4", SubmissionSeed.Mp4Like())], receivedAt: t0.AddMinutes(2));
        var uploading = await SubmissionSeed.SeedAsync(app, [("d.mp4", "video/mp4", SubmissionSeed.Mp4Like())], SubmissionState.Uploading, receivedAt: t0.AddMinutes(3));

        var seen = new List<Guid>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await JsonAsync(await doc.GetAsync($"{Base}?state=received&limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))));
            seen.AddRange(page["items"]!.AsArray().Select(x => x!["id"]!.GetValue<Guid>()));
            Assert.All(page["items"]!.AsArray(), x => Assert.Equal("received", x!["state"]!.GetValue<string>()));
            Assert.True(page["counts"]!["received"]!.GetValue<int>() >= 3);
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        } while (cursor is not null && pages < 100);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.DoesNotContain(uploading.Id, seen);
        var mine = seen.Where(x => x == older.Id || x == middle.Id || x == newer.Id).ToList();
        Assert.Equal([newer.Id, middle.Id, older.Id], mine);

        var up = await JsonAsync(await doc.GetAsync($"{Base}?state=uploading"));
        Assert.Contains(up["items"]!.AsArray(), x => x!["id"]!.GetValue<Guid>() == uploading.Id);
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.GetAsync($"{Base}?state=nonsense")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.GetAsync($"{Base}?cursor=%27%20OR%201%3D1")).StatusCode);
    }

    [Fact]
    public async Task The_detail_shows_the_texts_both_hashes_and_the_kind_of_contact_never_the_address()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var video = SubmissionSeed.Mp4Like();
        var sms = await SubmissionSeed.SeedAsync(app, [("IMG_0001.MOV", "video/mp4", video)], contact: "+16125550199");
        var res = await doc.GetAsync($"{Base}/{sms.Id}");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var raw = await res.Content.ReadAsStringAsync();
        Assert.DoesNotContain("6125550199", raw);
        var d = JsonNode.Parse(raw)!.AsObject();
        Assert.Equal(SubmissionSeed.What, d["what"]!.GetValue<string>());
        Assert.Equal(SubmissionSeed.Place, d["place"]!.GetValue<string>());
        Assert.Equal(44.9485, d["lat"]!.GetValue<double>());
        Assert.Equal("sms", d["contact"]!.GetValue<string>());
        Assert.Equal("publish_blurred", d["consent"]!.GetValue<string>());
        Assert.Equal(sms.ReceiptCode, d["receiptCode"]!.GetValue<string>());
        var file = d["files"]!.AsArray().Single()!;
        Assert.Equal(Sha(video), file["clientSha256"]!.GetValue<string>());
        Assert.Equal(Sha(video), file["sha256"]!.GetValue<string>());
        Assert.Contains(d["custody"]!.AsArray(), c => c!["action"]!.GetValue<string>() == "file_received");

        var email = await SubmissionSeed.SeedAsync(app, [("a.mp4", "video/mp4", SubmissionSeed.Mp4Like())], contact: "witness.person@example.org");
        var e = await doc.GetStringAsync($"{Base}/{email.Id}");
        Assert.DoesNotContain("witness.person", e);
        Assert.Equal("email", JsonNode.Parse(e)!["contact"]!.GetValue<string>());

        var none = await SubmissionSeed.SeedAsync(app, [("a.mp4", "video/mp4", SubmissionSeed.Mp4Like())]);
        Assert.Null(JsonNode.Parse(await doc.GetStringAsync($"{Base}/{none.Id}"))!["contact"]);
        Assert.Equal(HttpStatusCode.NotFound, (await doc.GetAsync($"{Base}/{Guid.NewGuid()}")).StatusCode);
    }

    [Fact]
    public async Task A_file_streams_decrypted_with_ranges_its_type_and_a_safe_name_and_every_read_is_a_custody_view()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var video = SubmissionSeed.Mp4Like();
        var page = "<html><script>alert(1)</script></html>"u8.ToArray();
        var s = await SubmissionSeed.SeedAsync(app, [("../../etc/x\r\nSet-Cookie: a=b\u0007.mp4", "video/mp4", video), ("page.html", "text/html", page)]);
        var (fileId, sha, _, _) = s.Files[0];
        int before = (await ChainAsync(s.Id)).Count;

        var whole = await doc.GetAsync($"{Base}/{s.Id}/files/{fileId}");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("video/mp4", whole.Content.Headers.ContentType!.MediaType);
        Assert.Equal(video, await whole.Content.ReadAsByteArrayAsync());
        var disposition = whole.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        var name = disposition.FileNameStar ?? disposition.FileName!;
        Assert.DoesNotContain("/", name);
        Assert.DoesNotContain("\r", name);
        Assert.DoesNotContain("\n", name);
        Assert.False(whole.Headers.Contains("Set-Cookie"));
        Assert.Equal("bytes", whole.Headers.AcceptRanges.Single());
        var views = (await ChainAsync(s.Id)).Skip(before).ToList();
        var view = Assert.Single(views);
        Assert.Equal(("viewed", "submission_file", fileId.ToString(), sha), (view.Action, view.ObjectType, view.ObjectId, view.ObjectHash));
        Assert.StartsWith("documenter-", view.Actor);

        // A player's range requests right after are that same view; the bytes are the file's.
        var range = new HttpRequestMessage(HttpMethod.Get, $"{Base}/{s.Id}/files/{fileId}");
        range.Headers.Range = new RangeHeaderValue(100, 199);
        var part = await doc.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(video[100..200], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal(before + 1, (await ChainAsync(s.Id)).Count);
        // Another person's range request is their own view.
        var other = await app.StaffAsync(Roles.Admin);
        var theirs = new HttpRequestMessage(HttpMethod.Get, $"{Base}/{s.Id}/files/{fileId}");
        theirs.Headers.Range = new RangeHeaderValue(0, 9);
        Assert.Equal(HttpStatusCode.PartialContent, (await other.SendAsync(theirs)).StatusCode);
        Assert.Equal(before + 2, (await ChainAsync(s.Id)).Count);

        // A file declared as something Whistle does not play is never served as that type (no HTML from a bystander's upload).
        var html = await doc.GetAsync($"{Base}/{s.Id}/files/{s.Files[1].Id}");
        Assert.Equal("application/octet-stream", html.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", html.Headers.GetValues("X-Content-Type-Options").Single());

        // A file still arriving is not served, and no view is logged; another submission's file id is not found.
        var uploading = await SubmissionSeed.SeedAsync(app, [("a.mp4", "video/mp4", SubmissionSeed.Mp4Like())], SubmissionState.Uploading);
        Assert.Equal(HttpStatusCode.Conflict, (await doc.GetAsync($"{Base}/{uploading.Id}/files/{uploading.Files[0].Id}")).StatusCode);
        Assert.DoesNotContain(await ChainAsync(uploading.Id), c => c.Action == "viewed");
        Assert.Equal(HttpStatusCode.NotFound, (await doc.GetAsync($"{Base}/{uploading.Id}/files/{fileId}")).StatusCode);
        Assert.True(CustodyChain.Verify(await ChainAsync(s.Id)).Intact);
    }

    [Fact]
    public async Task Attaching_to_a_new_incident_makes_evidence_items_links_the_chains_keeps_custody_intact_and_the_export_holds_the_files()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var jpeg = SubmissionSeed.Jpeg();
        var audio = SubmissionSeed.Mp3Like();
        var s = await SubmissionSeed.SeedAsync(app, [("IMG_0042.jpg", "image/jpeg", jpeg), ("voice.mp3", "audio/mpeg", audio)], consent: SubmissionConsent.LawyersOnly);
        var res = await doc.PostAsJsonAsync($"{Base}/{s.Id}/attach", new
        {
            newIncident = new { title = "Arrest at Lake St", occurredAt = DateTimeOffset.UtcNow.AddHours(-2), place = "Lake St" },
        });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var incident = (await JsonAsync(res))["incidentId"]!.GetValue<Guid>();

        var file = await JsonAsync(await doc.GetAsync($"/api/v1/incidents/{incident}"));
        Assert.Equal("Arrest at Lake St", file["incident"]!["title"]!.GetValue<string>());
        var evidence = file["evidence"]!.AsArray().Select(x => x!.AsObject()).ToList();
        Assert.Equal(2, evidence.Count);
        var photo = evidence.Single(e => e["sha256"]!.GetValue<string>() == Sha(jpeg));
        Assert.Equal(("IMG_0042.jpg", "image/jpeg", (long)jpeg.Length), (photo["fileName"]!.GetValue<string>(), photo["mediaType"]!.GetValue<string>(), photo["size"]!.GetValue<long>()));
        Assert.Equal(SubmissionSeed.What, photo["description"]!.GetValue<string>());
        Assert.Equal(SubmissionSeed.Place, photo["locationText"]!.GetValue<string>());
        Assert.NotNull(photo["capturedAt"]);
        // The public copy, made as console uploads make it: no GPS in it.
        var publicSha = photo["publicSha256"]!.GetValue<string>();
        await using (var copy = Store(app).OpenRead(publicSha))
        {
            var m = new MemoryStream();
            await copy.CopyToAsync(m);
            Assert.True(m.ToArray().AsSpan().IndexOf(GpsLatitudeRationals) < 0);
        }
        Assert.Contains(evidence, e => e["sha256"]!.GetValue<string>() == Sha(audio) && e["publicSha256"] is null);

        var chain = await ChainAsync(incident);
        Assert.Equal("created", chain[0].Action);
        foreach (var (fid, sha, _, _) in s.Files)
        {
            Assert.Single(chain, c => c.Action == "evidence_added" && c.ObjectHash == sha);
            var link = Assert.Single(chain, c => c.Action == "submission_attached" && c.ObjectHash == sha);
            var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(link.Fields!)!;
            Assert.Equal(s.Id.ToString("D"), fields["submissionId"]);
            Assert.Equal(s.ReceiptCode, fields["receiptCode"]);
            Assert.Equal("lawyers_only", fields["consent"]);
            Assert.Equal("false", fields["blurRequested"]);
            Assert.Equal(sha, fields["clientSha256"]);
            Assert.Equal(sha, fields["serverSha256"]);
        }
        Assert.Single(chain, c => c.Action == "public_copy_made" && c.ObjectHash == publicSha);
        Assert.True((await VerifyAsync(app, incident)).Intact, (await VerifyAsync(app, incident)).Reason);

        var own = await ChainAsync(s.Id);
        var attached = Assert.Single(own, c => c.Action == "attached");
        Assert.Equal(incident.ToString("D"), attached.ObjectId);
        Assert.Equal(chain.Last(c => c.Action == "submission_attached").Hash, attached.ObjectHash);
        Assert.True(CustodyChain.Verify(own).Intact);
        // The incident's link names the submission chain's head as it was when attached.
        var head = JsonSerializer.Deserialize<Dictionary<string, string>>(chain.First(c => c.Action == "submission_attached").Fields!)!["submissionChainHead"];
        Assert.Equal(own[^2].Hash, head);

        var detail = await JsonAsync(await doc.GetAsync($"{Base}/{s.Id}"));
        Assert.Equal("attached", detail["state"]!.GetValue<string>());
        Assert.Equal(incident, detail["incidentId"]!.GetValue<Guid>());
        Assert.All(detail["files"]!.AsArray(), f => Assert.NotNull(f!["evidenceItemId"]));

        // Twice: refused, nothing more in either chain.
        var again = await doc.PostAsJsonAsync($"{Base}/{s.Id}/attach", new { incidentId = incident });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(chain.Count, (await ChainAsync(incident)).Count);

        // The export holds both files, listed in SHA256SUMS.
        var export = await doc.PostAsync($"/api/v1/incidents/{incident}/export", null);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var zip = await export.Content.ReadAsByteArrayAsync();
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var reader = new StreamReader(archive.GetEntry("SHA256SUMS")!.Open());
        var sums = await reader.ReadToEndAsync();
        Assert.Contains($"{Sha(jpeg)}  evidence/{Sha(jpeg)}.jpg", sums);
        Assert.Contains($"{Sha(audio)}  evidence/{Sha(audio)}.mp3", sums);
    }

    [Fact]
    public async Task Attaching_to_an_existing_incident_works_once_and_refuses_what_is_uploading_unknown_or_ambiguous()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var video = SubmissionSeed.Mp4Like();
        var s = await SubmissionSeed.SeedAsync(app, [("clip.mp4", "video/mp4", video)]);

        Assert.Equal(HttpStatusCode.BadRequest, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/attach", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/attach",
            new { incidentId = incident, newIncident = new { title = "x", occurredAt = DateTimeOffset.UtcNow } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/attach",
            new { newIncident = new { title = new string('x', 201) } })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/attach", new { incidentId = Guid.NewGuid() })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await doc.PostAsJsonAsync($"{Base}/{Guid.NewGuid()}/attach", new { incidentId = incident })).StatusCode);

        var uploading = await SubmissionSeed.SeedAsync(app, [("a.mp4", "video/mp4", SubmissionSeed.Mp4Like())], SubmissionState.Uploading);
        var early = await doc.PostAsJsonAsync($"{Base}/{uploading.Id}/attach", new { incidentId = incident });
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal("application/problem+json", early.Content.Headers.ContentType!.MediaType);

        // Two documenters at once: one attaches, the other is refused; one evidence item.
        var other = await app.StaffAsync(Roles.Admin);
        var both = await Task.WhenAll(
            doc.PostAsJsonAsync($"{Base}/{s.Id}/attach", new { incidentId = incident }),
            other.PostAsJsonAsync($"{Base}/{s.Id}/attach", new { incidentId = incident }));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], both.Select(r => r.StatusCode).Order());
        var chain = await ChainAsync(incident);
        Assert.Single(chain, c => c.Action == "evidence_added" && c.ObjectHash == Sha(video));
        Assert.Single(chain, c => c.Action == "submission_attached");
        Assert.True((await VerifyAsync(app, incident)).Intact);
    }

    [Fact]
    public async Task Rejecting_needs_a_clean_reason_keeps_the_files_and_the_submission_under_rejected()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var video = SubmissionSeed.Mp4Like();
        var s = await SubmissionSeed.SeedAsync(app, [("clip.mp4", "video/mp4", video)]);
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/reject", new { reason = "  " })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/reject", new { reason = new string('x', 501) })).StatusCode);

        var res = await doc.PostAsJsonAsync($"{Base}/{s.Id}/reject", new { reason = "Not a recording\u001b[2J of\u0000 an incident\r\n(test)" });
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var d = await JsonAsync(res);
        Assert.Equal("rejected", d["state"]!.GetValue<string>());
        const string kept = "Not a recording[2J of an incident (test)"; // CR LF arrives as one line break, a space here
        Assert.Equal(kept, d["rejectReason"]!.GetValue<string>());
        var entry = Assert.Single(await ChainAsync(s.Id), c => c.Action == "rejected");
        Assert.Equal(Sha(Encoding.UTF8.GetBytes(kept)), entry.ObjectHash);

        Assert.True(Store(app).Exists(Sha(video)));
        Assert.Equal(video, await (await doc.GetAsync($"{Base}/{s.Id}/files/{s.Files[0].Id}")).Content.ReadAsByteArrayAsync());
        var list = await JsonAsync(await doc.GetAsync($"{Base}?state=rejected&limit=200"));
        Assert.Contains(list["items"]!.AsArray(), x => x!["id"]!.GetValue<Guid>() == s.Id);

        Assert.Equal(HttpStatusCode.Conflict, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/reject", new { reason = "again" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/attach", new { incidentId = await CreateIncidentAsync(app) })).StatusCode);
        Assert.True(CustodyChain.Verify(await ChainAsync(s.Id)).Intact);
    }

    [Fact]
    public async Task The_blur_flag_is_set_and_unset_each_change_in_custody()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var s = await SubmissionSeed.SeedAsync(app, [("clip.mp4", "video/mp4", SubmissionSeed.Mp4Like())], consent: SubmissionConsent.Publish);
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/blur", new { })).StatusCode);
        var on = await JsonAsync(await doc.PostAsJsonAsync($"{Base}/{s.Id}/blur", new { requested = true }));
        Assert.True(on["blurRequested"]!.GetValue<bool>());
        await doc.PostAsJsonAsync($"{Base}/{s.Id}/blur", new { requested = true }); // no change: no entry
        var off = await JsonAsync(await doc.PostAsJsonAsync($"{Base}/{s.Id}/blur", new { requested = false }));
        Assert.False(off["blurRequested"]!.GetValue<bool>());
        var blur = (await ChainAsync(s.Id)).Where(c => c.Action == "blur_requested").ToList();
        Assert.Equal(2, blur.Count);
        Assert.Equal(["true", "false"], blur.Select(b => JsonSerializer.Deserialize<Dictionary<string, string>>(b.Fields!)!["blurRequested"]));
        Assert.Equal(HttpStatusCode.NotFound, (await doc.PostAsJsonAsync($"{Base}/{Guid.NewGuid()}/blur", new { requested = true })).StatusCode);
    }

    [Fact]
    public async Task One_message_reaches_the_submitter_in_their_language_through_their_channel_and_no_one_sees_the_address()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var phone = "+1612555" + Random.Shared.Next(1000, 9999);
        var s = await SubmissionSeed.SeedAsync(app, [("clip.mp4", "video/mp4", SubmissionSeed.Mp4Like())], contact: phone, language: "so");
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.PostAsJsonAsync($"{Base}/{s.Id}/message", new { message = "Call me at +1 555" })).StatusCode);

        var res = await doc.PostAsJsonAsync($"{Base}/{s.Id}/message", new { message = "need-more" });
        Assert.Equal(HttpStatusCode.Accepted, res.StatusCode);
        Assert.DoesNotContain(phone[2..], await res.Content.ReadAsStringAsync());
        var line = await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().SingleOrDefault(l => l.Recipient == phone)), l => l is not null, "the message in the outbox");
        Assert.Equal(Whistle.Site.Ui.T("so", "review.msg.need-more"), line!.Text);
        Assert.Contains("faahfaahin", line.Text);

        var second = await doc.PostAsJsonAsync($"{Base}/{s.Id}/message", new { message = "thank-you" });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var messaged = Assert.Single(await ChainAsync(s.Id), c => c.Action == "messaged");
        Assert.DoesNotContain(phone[2..], messaged.Fields + messaged.ObjectHash + messaged.ObjectId);
        var detail = await doc.GetStringAsync($"{Base}/{s.Id}");
        Assert.DoesNotContain(phone[2..], detail);
        Assert.NotNull(JsonNode.Parse(detail)!["messagedAt"]);
        // The row the message went through gets no alerts: unsubscribed, no zones.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
            var msg = await db.Messages.AsNoTracking().OrderByDescending(m => m.Id).FirstAsync();
            var row = await db.Subscribers.AsNoTracking().FirstAsync(x => x.Id == msg.SubscriberId);
            Assert.Equal((Whistle.Subscriptions.SubscriberState.Unsubscribed, ""), (row.State, row.Zones));
        }

        var mail = "submitter-" + Guid.NewGuid().ToString("N")[..8] + "@example.org";
        var e = await SubmissionSeed.SeedAsync(app, [("clip.mp4", "video/mp4", SubmissionSeed.Mp4Like())], contact: mail, language: "es");
        Assert.Equal(HttpStatusCode.Accepted, (await doc.PostAsJsonAsync($"{Base}/{e.Id}/message", new { message = "lawyer-may-contact" })).StatusCode);
        var mailed = await WhistleApp.EventuallyAsync(() => Task.FromResult(app.Outbox().SingleOrDefault(l => l.Recipient == mail)), l => l is not null, "the e-mail in the outbox");
        Assert.Equal("email", mailed!.Channel.ToLowerInvariant());
        Assert.Equal(Whistle.Site.Ui.T("es", "review.msg.lawyer-may-contact"), mailed.Text);

        var purged = await SubmissionSeed.SeedAsync(app, [("clip.mp4", "video/mp4", SubmissionSeed.Mp4Like())], contact: "+16125550100", contactPurged: true);
        var gone = await doc.PostAsJsonAsync($"{Base}/{purged.Id}/message", new { message = "thank-you" });
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Contains("wiped", (await JsonAsync(gone))["detail"]!.GetValue<string>());
        var none = await SubmissionSeed.SeedAsync(app, [("clip.mp4", "video/mp4", SubmissionSeed.Mp4Like())]);
        Assert.Equal(HttpStatusCode.NotFound, (await doc.PostAsJsonAsync($"{Base}/{none.Id}/message", new { message = "thank-you" })).StatusCode);
    }
}

public sealed class SqliteSubmissionReviewTests(SqliteApp app) : SubmissionReviewTests<SqliteApp>(app);

public sealed class PostgresSubmissionReviewTests(PostgresApp app) : SubmissionReviewTests<PostgresApp>(app);
