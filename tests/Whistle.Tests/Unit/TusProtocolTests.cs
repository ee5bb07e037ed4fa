using Whistle.Submissions;

namespace Whistle.Tests.Unit;

/// <summary>The tus headers are read strictly: what is not exactly the protocol's form is refused, never guessed at.</summary>
public sealed class TusProtocolTests
{
    [Fact]
    public void Metadata_pairs_decode_and_a_key_may_have_no_value()
    {
        var meta = TusProtocol.ParseMetadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, filetype dmlkZW8vbXA0");
        Assert.NotNull(meta);
        Assert.Equal("world_domination_plan.pdf", meta!["filename"]);
        Assert.Equal("", meta["is_confidential"]);
        Assert.Equal("video/mp4", meta["filetype"]);
        Assert.Empty(TusProtocol.ParseMetadata(null)!);
    }

    [Theory]
    [InlineData("a eA==,a eA==")]            // repeated key
    [InlineData("a eA")]                     // not padded base64
    [InlineData("a e A==")]                  // two spaces
    [InlineData("a !!!!")]                   // not base64
    [InlineData("a AA==")]                   // a NUL
    [InlineData("a G1s=")]                   // ESC [
    [InlineData("a /w==")]                   // not UTF-8
    [InlineData(",")]                        // empty pair
    [InlineData("k\u00e9y eA==")]            // non-ASCII key
    public void Malformed_metadata_is_refused(string header) => Assert.Null(TusProtocol.ParseMetadata(header));

    [Fact]
    public void Metadata_is_capped_in_length_count_and_value_size()
    {
        Assert.Null(TusProtocol.ParseMetadata(new string('a', TusProtocol.MaxMetadataLength + 1)));
        Assert.Null(TusProtocol.ParseMetadata(string.Join(",", Enumerable.Range(0, TusProtocol.MaxPairs + 1).Select(i => $"k{i}"))));
        Assert.Null(TusProtocol.ParseMetadata("a " + Convert.ToBase64String(new byte[TusProtocol.MaxValueLength + 1].Select(_ => (byte)'x').ToArray())));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("2147483648", 2147483648L)]
    [InlineData("-1", null)]
    [InlineData("+5", null)]
    [InlineData(" 5", null)]
    [InlineData("1e3", null)]
    [InlineData("99999999999999999999", null)]
    [InlineData("", null)]
    public void Lengths_are_digits_only(string header, long? expected) => Assert.Equal(expected, TusProtocol.ParseLength(header));

    [Fact]
    public void Checksums_are_sha256_with_a_32_byte_digest()
    {
        var digest = new byte[32];
        Assert.Equal(TusProtocol.Checksum.Sha256, TusProtocol.ParseChecksum("sha256 " + Convert.ToBase64String(digest)).Kind);
        Assert.Equal(TusProtocol.Checksum.Unsupported, TusProtocol.ParseChecksum("md5 " + Convert.ToBase64String(new byte[16])).Kind);
        Assert.Equal(TusProtocol.Checksum.Malformed, TusProtocol.ParseChecksum("sha256 " + Convert.ToBase64String(new byte[16])).Kind);
        Assert.Equal(TusProtocol.Checksum.Malformed, TusProtocol.ParseChecksum("sha256").Kind);
        Assert.Equal(TusProtocol.Checksum.None, TusProtocol.ParseChecksum(null).Kind);
    }

    [Fact]
    public void Upload_ids_are_26_lower_case_letters_or_digits_and_nothing_that_could_be_a_path()
    {
        var id = TusProtocol.NewUploadId();
        Assert.True(TusProtocol.IsUploadId(id));
        Assert.NotEqual(id, TusProtocol.NewUploadId());
        Assert.False(TusProtocol.IsUploadId("../../../../etc/passwd...."));
        Assert.False(TusProtocol.IsUploadId(id.ToUpperInvariant()));
        Assert.False(TusProtocol.IsUploadId(id[..25]));
        Assert.False(TusProtocol.IsUploadId(null));
    }

    [Fact]
    public void Only_photos_videos_and_sound_recordings_come_through_the_public_intake()
    {
        Assert.True(TusProtocol.IsPublicMediaType("video/quicktime"));
        Assert.True(TusProtocol.IsPublicMediaType("audio/mp4"));
        Assert.False(TusProtocol.IsPublicMediaType("application/pdf"));
        Assert.False(TusProtocol.IsPublicMediaType("text/plain"));
        Assert.False(TusProtocol.IsPublicMediaType("video/x-unknown"));
    }
}
