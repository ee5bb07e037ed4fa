using Whistle.Submissions;

namespace Whistle.Tests.Unit;

/// <summary>Issue 15 (intake): receipt codes, the canonical record hashed into custody, and what a declared file may be.</summary>
public class SubmissionRulesTests
{
    [Fact]
    public void A_receipt_code_is_12_crockford_characters_in_three_groups_and_codes_do_not_repeat()
    {
        Assert.True(ReceiptCodes.Bits >= 60);
        var seen = new HashSet<string>();
        for (int i = 0; i < 20_000; i++)
        {
            var c = ReceiptCodes.New();
            Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", c);
            Assert.True(seen.Add(c), "a code came twice: " + c);
        }
        // Every character of the alphabet comes up, at each position (random, not a counter or a clock).
        for (int pos = 0; pos < 14; pos++)
        {
            if (pos is 4 or 9) continue;
            var chars = seen.Select(c => c[pos]).ToHashSet();
            Assert.Equal(32, chars.Count);
        }
    }

    [Theory]
    [InlineData("K7QM-2XRD-94TB", "K7QM-2XRD-94TB")]
    [InlineData("k7qm2xrd94tb", "K7QM-2XRD-94TB")]
    [InlineData(" k7qm 2xrd 94tb ", "K7QM-2XRD-94TB")]
    [InlineData("K7QM–2XRD–94TB", "K7QM-2XRD-94TB")] // en dashes, as phones autocorrect
    [InlineData("OIL0-0000-0000", "0110-0000-0000")] // the look-alikes
    public void A_typed_code_is_read_forgivingly(string typed, string stored) => Assert.Equal(stored, ReceiptCodes.Normalize(typed));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("K7QM-2XRD-94T")]
    [InlineData("K7QM-2XRD-94TBX")]
    [InlineData("K7QM-2XRD-94TU")] // U is not in the alphabet
    [InlineData("K7QM-2XRD-94T%")]
    [InlineData("../../etc/passwd")]
    [InlineData("K7QM-2XRD-94TB' OR '1'='1")]
    public void Anything_else_is_no_code(string? typed) => Assert.Null(ReceiptCodes.Normalize(typed));

    [Fact]
    public void An_upload_id_is_26_lower_case_base32_characters_of_128_random_bits()
    {
        var ids = Enumerable.Range(0, 2000).Select(_ => SubmissionRules.NewUploadId()).ToList();
        Assert.All(ids, id => Assert.Matches("^[a-z2-7]{26}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // The last character carries 3 random bits and 2 zero bits: all 8 of its possible values occur.
        Assert.Equal(8, ids.Select(i => i[25]).Distinct().Count());
        Assert.Matches("^[A-Za-z0-9_-]{43}$", SubmissionRules.NewUploadSecret());
    }

    [Theory]
    [InlineData("video/webm;codecs=vp8,opus", "video/webm")]
    [InlineData("audio/webm;codecs=opus", "audio/webm")]
    [InlineData("VIDEO/MP4", "video/mp4")]
    [InlineData("video/quicktime", "video/quicktime")]
    [InlineData("image/jpeg", "image/jpeg")]
    [InlineData("audio/mp4", "audio/mp4")]
    [InlineData("application/pdf", null)] // evidence may be a PDF from a documenter; a bystander sends recordings
    [InlineData("text/plain", null)]
    [InlineData("text/html", null)]
    [InlineData("image/svg+xml", null)]
    [InlineData("application/octet-stream", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Only_image_video_and_audio_types_are_accepted_with_their_parameters_dropped(string? declared, string? kept) =>
        Assert.Equal(kept, SubmissionRules.MediaType(declared));

    [Theory]
    [InlineData("IMG_0001.MOV", "IMG_0001.MOV")]
    [InlineData("../../../etc/passwd", "passwd")]
    [InlineData("..\\..\\windows\\system32\\x.jpg", "x.jpg")]
    [InlineData("C:evil.jpg", "C_evil.jpg")]
    [InlineData(".htaccess", "htaccess")]
    [InlineData("..", "file")]
    [InlineData("", "file")]
    [InlineData(null, "file")]
    [InlineData("a\nb\u0000c.jpg", "a bc.jpg")]
    [InlineData("<img src=x onerror=alert(1)>.jpg", "<img src=x onerror=alert(1)>.jpg")] // kept as text; pages render it with textContent
    public void A_file_name_is_its_last_segment_on_one_line_never_a_path(string? declared, string kept) =>
        Assert.Equal(kept, SubmissionRules.FileName(declared));

    [Theory]
    [InlineData("lawyersOnly", SubmissionConsent.LawyersOnly)]
    [InlineData("lawyers_only", SubmissionConsent.LawyersOnly)]
    [InlineData("publishBlurred", SubmissionConsent.PublishBlurred)]
    [InlineData("publish", SubmissionConsent.Publish)]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", null)]
    [InlineData("everyone", null)]
    public void Consent_has_no_default(string? given, SubmissionConsent? read) => Assert.Equal(read, SubmissionRules.Consent(given));

    private static (Submission, List<SubmissionFile>) Sample()
    {
        var s = new Submission
        {
            ReceiptCode = "K7QM-2XRD-94TB", Consent = SubmissionConsent.PublishBlurred, BlurRequested = true,
            ReceivedAt = new DateTimeOffset(2026, 12, 2, 11, 10, 5, 123, TimeSpan.Zero).AddTicks(4567),
            ObservedAt = new DateTimeOffset(2026, 12, 2, 5, 10, 0, TimeSpan.FromHours(-6)),
        };
        var files = new List<SubmissionFile>
        {
            new() { Id = 2, FileName = "b.jpg", MediaType = "image/jpeg", Length = 10, ClientSha256 = new string('b', 64) },
            new() { Id = 1, FileName = "a.mov", MediaType = "video/quicktime", Length = 12345678, ClientSha256 = new string('a', 64) },
        };
        return (s, files);
    }

    [Fact]
    public void The_received_record_hash_is_stable_across_database_precision_file_order_and_case_and_covers_each_field()
    {
        var (s, files) = Sample();
        var h = SubmissionRecord.Hash(s, files);
        Assert.Matches("^[0-9a-f]{64}$", h);
        Assert.Equal("{\"receiptCode\":\"K7QM-2XRD-94TB\",\"consent\":\"publishBlurred\",\"blurRequested\":true,\"receivedAt\":\"2026-12-02T11:10:05Z\"," +
                     "\"observedAt\":\"2026-12-02T11:10:00Z\",\"files\":[{\"name\":\"a.mov\",\"type\":\"video/quicktime\",\"size\":12345678,\"sha256\":\"" + new string('a', 64) +
                     "\"},{\"name\":\"b.jpg\",\"type\":\"image/jpeg\",\"size\":10,\"sha256\":\"" + new string('b', 64) + "\"}]}",
            SubmissionRecord.Of(s, files).Canonical());

        // PostgreSQL keeps microseconds, SQLite ticks: the same record either way; file order and hex case do not matter.
        var (s2, files2) = Sample();
        s2.ReceivedAt = new DateTimeOffset(2026, 12, 2, 11, 10, 5, TimeSpan.Zero);
        files2.Reverse();
        files2[0].ClientSha256 = files2[0].ClientSha256.ToUpperInvariant();
        Assert.Equal(h, SubmissionRecord.Hash(s2, files2));

        // Any field changed, a different hash.
        foreach (var change in new Action<Submission, List<SubmissionFile>>[]
                 {
                     (x, _) => x.ReceiptCode = "K7QM-2XRD-94TC",
                     (x, _) => x.Consent = SubmissionConsent.Publish,
                     (x, _) => x.BlurRequested = false,
                     (x, _) => x.ReceivedAt = x.ReceivedAt.AddSeconds(1),
                     (x, _) => x.ObservedAt = null,
                     (_, f) => f[0].ClientSha256 = new string('c', 64),
                     (_, f) => f[0].Length++,
                     (_, f) => f[0].MediaType = "video/mp4",
                     (_, f) => f[0].FileName = "c.mov",
                     (_, f) => f.RemoveAt(1),
                 })
        {
            var (x, f) = Sample();
            change(x, f);
            Assert.NotEqual(h, SubmissionRecord.Hash(x, f));
        }
    }

    [Fact]
    public void The_free_space_floor_counts_what_is_about_to_arrive()
    {
        var dir = Directory.CreateTempSubdirectory("whistle-free-").FullName;
        try
        {
            long free = new DriveInfo(dir).AvailableFreeSpace;
            Assert.True(free > 0);
            Assert.False(FreeSpace.Below(dir, 0, long.MaxValue / 2)); // no floor configured
            Assert.False(FreeSpace.Below(dir, 1, 0));
            Assert.True(FreeSpace.Below(dir, free + (1L << 40), 0)); // a floor above what the disk has
            Assert.True(FreeSpace.Below(dir, 1, free + (1L << 30))); // a declaration larger than the disk
        }
        finally { Directory.Delete(dir, true); }
    }
}
