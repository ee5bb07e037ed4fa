using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Whistle.Identity;
using Whistle.Incidents;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// Issue 13: evidence files encrypted at rest, named so a seizer with a known video cannot confirm the network has it,
/// the capture metadata kept on intake, and video public copies without their location (real files made by ffmpeg).
/// </summary>
public abstract class EvidenceAtRestTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WhistleApp
{
    private static string Url(Guid incident, string rest = "") => $"/api/v1/incidents/{incident}/evidence{rest}";

    /// <summary>A text file over several 64 KiB chunks, with a marker a seizer would grep for.</summary>
    private static byte[] Statement(string marker) =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"{i:D5} {marker} the agent's badge number was 4471.\n")));

    [Fact]
    public async Task Seen_evidence_files_lay_in_the_clear_under_their_SHA256_now_no_file_of_the_data_dir_holds_the_content_or_the_hash()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var marker = "SEIZE-ME-" + Guid.NewGuid().ToString("N");
        var bytes = Statement(marker);
        var res = await doc.PostAsync(Url(incident, "?fileName=statement.txt"), Body(bytes, "text/plain"));
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var item = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        var sha = Sha(bytes);
        Assert.Equal(sha, item["sha256"]!.GetValue<string>());

        // Every file of the data dir: none named by the hash, none holding the text.
        var store = Store(app);
        var needle = Encoding.UTF8.GetBytes(marker);
        foreach (var file in Directory.GetFiles(app.DataDir, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(sha, file);
            Assert.DoesNotContain(sha[..16], Path.GetFileName(file));
            byte[] content;
            try { content = await File.ReadAllBytesAsync(file); }
            catch (FileNotFoundException) { continue; } // SQLite's -wal/-shm come and go with checkpoints
            Assert.Equal(-1, content.AsSpan().IndexOf(needle));
        }
        // Read-only for the service's user only, in folders only it can open.
        var path = store.PathOf(sha);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(path));
        for (var dir = Path.GetDirectoryName(path)!; dir.Length >= store.Root.Length; dir = Path.GetDirectoryName(dir)!)
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));

        // Downloads decrypt on the fly, with ranges across chunk edges; the custody check decrypts and rehashes.
        var id = item["id"]!.GetValue<long>();
        Assert.Equal(bytes, await doc.GetByteArrayAsync(Url(incident, $"/{id}")));
        var ranged = new HttpRequestMessage(HttpMethod.Get, Url(incident, $"/{id}"));
        ranged.Headers.Range = new RangeHeaderValue(65_530, 65_560);
        var part = await doc.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(bytes[65_530..65_561], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal(bytes.Length, part.Content.Headers.ContentRange!.Length);
        Assert.Equal(sha, store.HashOnDisk(sha));
        Assert.True((await VerifyAsync(app, incident)).Intact);

        // One byte changed on disk (in the wrapped file key): the download refuses with a problem, not a 500, and
        // the custody check names the file.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 20;
            int b = f.ReadByte();
            f.Position = 20;
            f.WriteByte((byte)(b ^ 0x20));
        }
        var refused = await doc.GetAsync(Url(incident, $"/{id}"));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        var verdict = await VerifyAsync(app, incident);
        Assert.False(verdict.Intact);
        Assert.Contains(sha, verdict.Reason);
    }

    [Fact]
    public async Task Seen_the_capture_time_was_only_what_the_uploader_typed_now_the_files_own_EXIF_time_device_and_app_are_kept()
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        byte[] jpeg = [0xFF, 0xD8, .. Jfif, .. ExifWithDate("2026:11:20 12:04:00", "-06:00"), .. ImageData, .. Guid.NewGuid().ToByteArray()];
        var request = new HttpRequestMessage(HttpMethod.Post, Url(incident, "?fileName=IMG_1.jpg&device=Pixel%207")) { Content = Body(jpeg, "image/jpeg") };
        request.Headers.Add("X-App", Uri.EscapeDataString("Whistle witness app 1.2"));
        var res = await doc.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var item = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 18, 4, 0, TimeSpan.Zero), item["fileCapturedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(CaptureTime.ExifOriginal, item["fileCapturedFrom"]!.GetValue<string>());
        Assert.Equal("Pixel 7", item["device"]!.GetValue<string>());
        Assert.Equal("Whistle witness app 1.2", item["app"]!.GetValue<string>());
        Assert.Equal(Sha(jpeg), item["sha256"]!.GetValue<string>());
        Assert.NotNull(item["addedBy"]);
        // The original is kept byte for byte (the public copy is the stripped one).
        Assert.Equal(jpeg, await doc.GetByteArrayAsync(Url(incident, $"/{item["id"]}")));

        // Too long an app name: a problem, nothing kept.
        var tooLong = new HttpRequestMessage(HttpMethod.Post, Url(incident, "?app=" + new string('a', 201))) { Content = Body([.. jpeg, 1], "image/jpeg") };
        Assert.Equal(HttpStatusCode.BadRequest, (await doc.SendAsync(tooLong)).StatusCode);
    }

    [Theory]
    [InlineData("mp4", "video/mp4", true)]
    [InlineData("mp4", "video/mp4", false)]
    [InlineData("mov", "video/quicktime", false)]
    [InlineData("mov", "video/quicktime", true)]
    public async Task Seen_video_public_copies_kept_the_GPS_location_now_an_ffmpeg_video_loses_it_and_still_plays(string format, string mediaType, bool metadataTags)
    {
        var doc = await app.StaffAsync(Roles.Documenter);
        var incident = await CreateIncidentAsync(app);
        var dir = Directory.CreateTempSubdirectory("whistle-video-").FullName;
        try
        {
            var input = Path.Combine(dir, "in." + format);
            Ffmpeg.Run("ffmpeg", $"-v error -f lavfi -i testsrc=duration=1:size=64x64:rate=5 -metadata location=+44.9481-093.2374/ " +
                $"-metadata creation_time=2026-11-03T14:05:00Z {(metadataTags ? "-movflags use_metadata_tags" : "")} -f {format} -y {input}");
            var original = await File.ReadAllBytesAsync(input);
            Assert.True(Contains(original, "loci") || Contains(original, "+44.9481"), "ffmpeg wrote no location: the test proves nothing");

            var res = await doc.PostAsync(Url(incident, $"?fileName=scene.{format}"), Body(original, mediaType));
            Assert.Equal(HttpStatusCode.Created, res.StatusCode);
            var item = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.NotNull(item["publicSha256"]);
            // The capture time from the movie header, read on intake.
            Assert.Equal(new DateTimeOffset(2026, 11, 3, 14, 5, 0, TimeSpan.Zero), item["fileCapturedAt"]!.GetValue<DateTimeOffset>());

            var kept = await doc.GetByteArrayAsync(Url(incident, $"/{item["id"]}"));
            Assert.Equal(original, kept); // lawyers get the location
            var copy = await doc.GetByteArrayAsync(Url(incident, $"/{item["id"]}/public"));
            Assert.Equal(original.Length, copy.Length);
            foreach (var word in new[] { "+44.9481", "093.2374", "\u00A9xyz", "loci", "ISO6709", "location" })
                Assert.False(Contains(copy, word), $"the public copy still holds {word}");
            var copyPath = Path.Combine(dir, "public." + format);
            await File.WriteAllBytesAsync(copyPath, copy);
            var probe = Ffmpeg.Run("ffprobe", $"-v error -show_entries format=duration:format_tags -of default=noprint_wrappers=1 {copyPath}");
            var probeOriginal = Ffmpeg.Run("ffprobe", $"-v error -show_entries format=duration -of default=noprint_wrappers=1 {input}");
            Assert.Equal(probeOriginal.Split('\n')[0], probe.Split('\n')[0]);
            Assert.StartsWith("duration=1.0", probe);
            Assert.DoesNotContain("44.9481", probe);
            // The frames decode.
            Ffmpeg.Run("ffmpeg", $"-v error -i {copyPath} -f null -");
            Assert.True((await VerifyAsync(app, incident)).Intact);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static bool Contains(byte[] haystack, string ascii) => haystack.AsSpan().IndexOf(Encoding.Latin1.GetBytes(ascii)) >= 0;

    /// <summary>APP1 Exif: IFD0 → Exif IFD with DateTimeOriginal and OffsetTimeOriginal.</summary>
    private static byte[] ExifWithDate(string dateTime, string offset)
    {
        var tiff = new List<byte>();
        void U16(int v) { tiff.Add((byte)(v >> 8)); tiff.Add((byte)v); }
        void U32(int v) { U16(v >> 16); U16(v & 0xFFFF); }
        tiff.AddRange("MM"u8.ToArray()); U16(42); U32(8);
        U16(1); U16(0x8769); U16(4); U32(1); U32(26); U32(0);
        U16(2);
        U16(0x9003); U16(2); U32(20); U32(56);
        U16(0x9011); U16(2); U32(7); U32(76);
        U32(0);
        tiff.AddRange(Encoding.ASCII.GetBytes(dateTime + "\0"));
        tiff.AddRange(Encoding.ASCII.GetBytes(offset + "\0"));
        byte[] payload = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        return [0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];
    }
}

public sealed class SqliteEvidenceAtRestTests(SqliteApp app) : EvidenceAtRestTests<SqliteApp>(app);

public sealed class PostgresEvidenceAtRestTests(PostgresApp app) : EvidenceAtRestTests<PostgresApp>(app);

/// <summary>A store written before encryption at rest is sealed when Whistle starts on it.</summary>
public sealed class EvidenceStoreUpgradeTests
{
    [Fact]
    public async Task Seen_a_store_of_plain_files_from_before_now_sealed_at_start_up_and_still_served_and_verified()
    {
        var dataDir = Directory.CreateTempSubdirectory("whistle-upgrade-").FullName;
        try
        {
            var marker = "PLAIN-" + Guid.NewGuid().ToString("N");
            var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(marker + " statement\n", 10_000)));
            var sha = Sha(bytes);
            Guid incident;
            long id;
            string legacy;
            using (var before = new CustomApp(new() { ["Whistle:DataDir"] = dataDir, ["Whistle:Delivery:Enabled"] = "false" }))
            {
                var doc = await before.StaffAsync(Roles.Documenter);
                incident = await CreateIncidentAsync(before);
                var item = (await (await doc.PostAsync($"/api/v1/incidents/{incident}/evidence", Body(bytes, "text/plain"))).Content.ReadFromJsonAsync<JsonObject>())!;
                id = item["id"]!.GetValue<long>();
                // As the store was before: the plain file under its SHA-256, 0440; the sealed one gone.
                var store = Store(before);
                File.Delete(store.PathOf(sha));
                legacy = Path.Combine(store.Root, sha[..2], sha[2..4], sha);
                Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
                await File.WriteAllBytesAsync(legacy, bytes);
                File.SetUnixFileMode(legacy, UnixFileMode.UserRead | UnixFileMode.GroupRead);
                await File.WriteAllBytesAsync(Path.Combine(store.Root, ".upload-cut-off"), bytes[..1000]);
            }

            using var after = new CustomApp(new() { ["Whistle:DataDir"] = dataDir, ["Whistle:Delivery:Enabled"] = "false" });
            var staff = await after.StaffAsync(Roles.Documenter);
            Assert.False(File.Exists(legacy));
            Assert.False(Directory.Exists(Path.GetDirectoryName(legacy)));
            var needle = Encoding.UTF8.GetBytes(marker);
            foreach (var file in Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories))
            {
                Assert.DoesNotContain(sha, file);
                byte[] content;
                // SQLite's -shm/-wal files come and go as the app's background connections close.
                try { content = await File.ReadAllBytesAsync(file); }
                catch (FileNotFoundException) { continue; }
                Assert.Equal(-1, content.AsSpan().IndexOf(needle));
            }
            Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Store(after).PathOf(sha)));
            Assert.Equal(bytes, await staff.GetByteArrayAsync($"/api/v1/incidents/{incident}/evidence/{id}"));
            Assert.True((await VerifyAsync(after, incident)).Intact);
            Assert.Equal(0, await Store(after).SealPlainFilesAsync(default)); // once is enough
        }
        finally { Directory.Delete(dataDir, recursive: true); }
    }
}

/// <summary>Runs Debian's ffmpeg/ffprobe; a missing ffmpeg fails the test with what to install.</summary>
public static class Ffmpeg
{
    public static string Run(string tool, string arguments)
    {
        var path = $"/usr/bin/{tool}";
        Assert.True(File.Exists(path), $"{tool} is missing: install Debian's ffmpeg package (./test.sh does).");
        using var p = Process.Start(new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {arguments} exited {p.ExitCode.ToString(CultureInfo.InvariantCulture)}: {error}");
        return output.Trim();
    }
}
