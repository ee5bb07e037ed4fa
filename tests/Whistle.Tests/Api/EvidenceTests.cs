using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Whistle.Identity;
using Whistle.Incidents;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

public abstract class EvidenceTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static string Url(Guid incident, string rest = "") => $"/api/v1/incidents/{incident}/evidence{rest}";

    [Fact]
    public async Task An_upload_is_stored_under_its_hash_recorded_in_custody_and_the_same_file_again_is_the_same_item()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var jpeg = JpegWithGps();
        var res = await doc.PostAsync(Url(incident, "?fileName=IMG_0042.jpg&capturedAt=2026-11-20T18:04:00Z&device=Pixel%207&location=Lake%20St&lat=44.9485&lon=-93.2555"),
            Body(jpeg, "image/jpeg"));
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var item = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = item["id"]!.GetValue<long>();
        Assert.Equal(Sha(jpeg), item["sha256"]!.GetValue<string>());
        Assert.Equal(jpeg.Length, item["size"]!.GetValue<long>());
        Assert.Equal("IMG_0042.jpg", item["fileName"]!.GetValue<string>());
        Assert.Equal("Pixel 7", item["device"]!.GetValue<string>());
        Assert.Equal(44.9485, item["lat"]!.GetValue<double>());
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 18, 4, 0, TimeSpan.Zero), item["capturedAt"]!.GetValue<DateTimeOffset>());
        // Kept encrypted, read-only, under a keyed name (not its hash): decrypted it is the bytes received.
        Assert.DoesNotContain(Sha(jpeg), Store(app).PathOf(Sha(jpeg)));
        Assert.NotEqual(jpeg, await File.ReadAllBytesAsync(Store(app).PathOf(Sha(jpeg))));
        await using (var plain = Store(app).OpenRead(Sha(jpeg)))
        {
            var back = new MemoryStream();
            await plain.CopyToAsync(back);
            Assert.Equal(jpeg, back.ToArray());
        }
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Store(app).PathOf(Sha(jpeg))));

        var chain = await CustodyAsync(app, incident);
        var added = Assert.Single(chain, c => c.Action == "evidence_added");
        Assert.Equal(("evidence", id.ToString(), Sha(jpeg)), (added.ObjectType, added.ObjectId, added.ObjectHash));
        var copy = Assert.Single(chain, c => c.Action == "public_copy_made");
        Assert.Equal(item["publicSha256"]!.GetValue<string>(), copy.ObjectHash);
        Assert.True((await VerifyAsync(app, incident)).Intact);

        // The same bytes again (metadata in headers this time): the existing item, no second row or entry.
        var again = new HttpRequestMessage(HttpMethod.Post, Url(incident)) { Content = Body(jpeg, "image/jpeg") };
        again.Headers.Add("X-Filename", "copy.jpg");
        var second = await doc.SendAsync(again);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(id, (await second.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>());
        Assert.Equal(chain.Count, (await CustodyAsync(app, incident)).Count);

        // Metadata from headers, percent-encoded when not ASCII.
        var text = new HttpRequestMessage(HttpMethod.Post, Url(incident)) { Content = Body("Notes from the scene.\n"u8.ToArray(), "text/plain; charset=utf-8") };
        text.Headers.Add("X-Filename", Uri.EscapeDataString("notas de la escena.txt"));
        text.Headers.Add("X-Location", Uri.EscapeDataString("Calle Lake y 14ª"));
        var note = (await (await doc.SendAsync(text)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("notas de la escena.txt", note["fileName"]!.GetValue<string>());
        Assert.Equal("Calle Lake y 14ª", note["locationText"]!.GetValue<string>());
        Assert.Null(note["publicSha256"]);
    }

    [Fact]
    public async Task A_download_streams_the_original_with_ranges_and_records_a_view_dispatchers_list_only()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% a statement\n" + new string('x', 5000) + "\n%%EOF\n");
        var id = (await (await doc.PostAsync(Url(incident, "?fileName=statement.pdf"), Body(pdf, "application/pdf"))).Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
        int before = (await CustodyAsync(app, incident)).Count;

        var whole = await doc.GetAsync(Url(incident, $"/{id}"));
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("application/pdf", whole.Content.Headers.ContentType!.MediaType);
        Assert.Equal(pdf, await whole.Content.ReadAsByteArrayAsync());
        var viewed = (await CustodyAsync(app, incident)).Last();
        Assert.Equal(("viewed", "evidence", id.ToString(), Sha(pdf)), (viewed.Action, viewed.ObjectType, viewed.ObjectId, viewed.ObjectHash));
        Assert.Equal(before + 1, viewed.Seq);

        var part = new HttpRequestMessage(HttpMethod.Get, Url(incident, $"/{id}"));
        part.Headers.Range = new RangeHeaderValue(100, 199);
        var partial = await doc.SendAsync(part);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(pdf[100..200], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal(before + 1, (await CustodyAsync(app, incident)).Count); // a seek is the same view

        var dispatcher = await app.StaffAsync(Roles.Dispatcher);
        var list = await dispatcher.GetFromJsonAsync<JsonArray>(Url(incident));
        Assert.Equal(Sha(pdf), Assert.Single(list!)!["sha256"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.GetAsync(Url(incident, $"/{id}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await dispatcher.PostAsync(Url(incident), Body(pdf, "application/pdf"))).StatusCode);
        var verifier = await app.StaffAsync(Roles.Verifier);
        Assert.Equal(HttpStatusCode.Forbidden, (await verifier.GetAsync(Url(incident))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync(Url(incident))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await doc.GetAsync(Url(incident, $"/{id + 1000}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await doc.PostAsync(Url(Guid.NewGuid()), Body(pdf, "application/pdf"))).StatusCode);
    }

    [Fact]
    public async Task Views_at_the_same_moment_each_get_their_own_link_and_the_chain_stays_whole()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 concurrent " + Guid.NewGuid());
        var id = (await (await doc.PostAsync(Url(incident), Body(pdf, "application/pdf"))).Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
        var views = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => doc.GetAsync(Url(incident, $"/{id}"))));
        Assert.All(views, v => Assert.Equal(HttpStatusCode.OK, v.StatusCode));
        var chain = await CustodyAsync(app, incident);
        Assert.Equal(6, chain.Count(c => c.Action == "viewed"));
        Assert.True((await VerifyAsync(app, incident)).Intact);
    }

    [Theory]
    [InlineData("image/png", "jpeg")] // declared PNG, bytes of a JPEG
    [InlineData("application/pdf", "jpeg")]
    [InlineData("video/mp4", "pdf")]
    [InlineData("text/plain", "pdf")] // text that is a PDF
    [InlineData("application/x-msdownload", "pdf")] // not an accepted type at all
    [InlineData("image/svg+xml", "text")]
    public async Task A_file_whose_type_is_not_accepted_or_not_what_it_claims_is_refused_with_415_and_nothing_stored(string declared, string actual)
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        byte[] bytes = actual switch
        {
            "jpeg" => [.. JpegWithGps(), .. Guid.NewGuid().ToByteArray()],
            "pdf" => Encoding.ASCII.GetBytes("%PDF-1.7\n" + Guid.NewGuid()),
            _ => Encoding.ASCII.GetBytes("<svg xmlns='http://www.w3.org/2000/svg'/>" + Guid.NewGuid()),
        };
        var res = await doc.PostAsync(Url(incident), Body(bytes, declared));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, res.StatusCode);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType!.MediaType);
        Assert.False(string.IsNullOrEmpty((await res.Content.ReadFromJsonAsync<JsonObject>())!["detail"]?.GetValue<string>()));
        Assert.False(Store(app).Exists(Sha(bytes)));
        Assert.DoesNotContain(StoreFiles(app), f => Path.GetFileName(f).StartsWith('.'));
        Assert.Single(await CustodyAsync(app, incident)); // only "created"
    }

    [Fact]
    public async Task A_JPEG_gets_a_public_copy_without_Exif_GPS_XMP_or_comments_and_the_image_data_byte_identical()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var jpeg = JpegWithGps();
        var item = (await (await doc.PostAsync(Url(incident), Body(jpeg, "image/jpeg"))).Content.ReadFromJsonAsync<JsonObject>())!;
        var publicCopy = await doc.GetByteArrayAsync(Url(incident, $"/{item["id"]}/public"));

        Assert.Equal(JpegWithoutMetadata(), publicCopy);
        Assert.Equal(item["publicSha256"]!.GetValue<string>(), Sha(publicCopy));
        Assert.Equal(-1, publicCopy.AsSpan().IndexOf("Exif"u8));
        Assert.Equal(-1, publicCopy.AsSpan().IndexOf("GPS"u8));
        Assert.Equal(-1, publicCopy.AsSpan().IndexOf(GpsLatitudeRationals));
        Assert.Equal(-1, publicCopy.AsSpan().IndexOf("44.965"u8));
        Assert.True(publicCopy.AsSpan().EndsWith(ImageData)); // the scan and everything it needs, unchanged
        // The original is untouched, GPS and all.
        var original = await doc.GetByteArrayAsync(Url(incident, $"/{item["id"]}"));
        Assert.Equal(jpeg, original);
        Assert.NotEqual(-1, original.AsSpan().IndexOf(GpsLatitudeRationals));

        var png = PngWithLocation();
        var pngItem = (await (await doc.PostAsync(Url(incident), Body(png, "image/png"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(PngWithoutMetadata(), await doc.GetByteArrayAsync(Url(incident, $"/{pngItem["id"]}/public")));
        Assert.True((await VerifyAsync(app, incident)).Intact);
    }

    [Fact]
    public async Task One_byte_changed_in_a_stored_file_breaks_the_custody_chain_at_that_files_entry()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var first = (await (await doc.PostAsync(Url(incident), Body(Encoding.ASCII.GetBytes("%PDF-1.4 first " + Guid.NewGuid()), "application/pdf"))).Content.ReadFromJsonAsync<JsonObject>())!;
        var bytes = Encoding.ASCII.GetBytes("%PDF-1.4 second " + Guid.NewGuid());
        var second = (await (await doc.PostAsync(Url(incident), Body(bytes, "application/pdf"))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True((await VerifyAsync(app, incident)).Intact);

        var path = Store(app).PathOf(Sha(bytes));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 10;
            int b = f.ReadByte();
            f.Position = 10;
            f.WriteByte((byte)(b ^ 0x01));
        }
        var verdict = await VerifyAsync(app, incident);
        Assert.False(verdict.Intact);
        var entry = (await CustodyAsync(app, incident)).Single(c => c.Action == "evidence_added" && c.ObjectId == second["id"]!.ToString());
        Assert.Equal(entry.Seq, verdict.FirstBrokenSeq);
        Assert.Contains(Sha(bytes), verdict.Reason);
        Assert.NotEqual(first["id"]!.ToString(), second["id"]!.ToString());

        // An export refuses to vouch for a broken chain.
        var export = await doc.PostAsync($"/api/v1/incidents/{incident}/export", null);
        Assert.Equal(HttpStatusCode.Conflict, export.StatusCode);
        Assert.Contains($"entry {entry.Seq}", (await export.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());
    }
}

/// <summary>The size limit, with a small configured cap: refused early (Content-Length) or mid-stream (chunked), nothing kept.</summary>
public sealed class EvidenceLimitTests
{
    [Fact]
    public async Task A_file_past_the_limit_is_refused_with_413_naming_the_limit_and_nothing_is_left_in_the_store()
    {
        using var app = new CustomApp(new() { ["Whistle:Evidence:MaxBytes"] = (1024 * 1024).ToString(), ["Whistle:Demo"] = "false", ["Whistle:PublicBaseUrl"] = "https://network.test" }) /* no demo incident: the store starts empty */;
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var big = new byte[1024 * 1024 + 1];
        Random.Shared.NextBytes(big);
        "%PDF-1.4"u8.CopyTo(big);

        // Declared length over the limit: refused before reading.
        var declared = await doc.PostAsync($"/api/v1/incidents/{incident}/evidence", Body(big, "application/pdf"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal("application/problem+json", declared.Content.Headers.ContentType!.MediaType);
        Assert.Contains("1 MB", (await declared.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());

        // No length (chunked): read until the limit, then the partial file is deleted.
        var chunked = new StreamContent(new NonSeekable(big));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        var streamed = await doc.PostAsync($"/api/v1/incidents/{incident}/evidence", chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        Assert.Contains("1 MB", (await streamed.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>());

        Assert.Empty(StoreFiles(app));
        Assert.Single(await CustodyAsync(app, incident));

        // Exactly at the limit is fine.
        var ok = await doc.PostAsync($"/api/v1/incidents/{incident}/evidence", Body(big[..^1], "application/pdf"));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Single(StoreFiles(app));
    }

    /// <summary>A stream with no length, so the client sends it chunked.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

public sealed class SqliteEvidenceTests(SqliteApp app) : EvidenceTests<SqliteApp>(app);

public sealed class PostgresEvidenceTests(PostgresApp app) : EvidenceTests<PostgresApp>(app);
