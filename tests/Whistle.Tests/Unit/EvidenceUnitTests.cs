using System.Text;
using Whistle.Incidents;
using Whistle.Tests.Api;

namespace Whistle.Tests.Unit;

public sealed class EvidenceUnitTests
{
    [Theory]
    [InlineData("image/jpeg", "FFD8FFE0")]
    [InlineData("image/png", "89504E470D0A1A0A0000")]
    [InlineData("image/webp", "52494646000000005745425056503820")]
    [InlineData("image/heic", "0000001C6674797068656963")]
    [InlineData("video/mp4", "000000186674797069736F6D")]
    [InlineData("audio/mp4", "00000020667479704D344120")]
    [InlineData("video/quicktime", "000000146674797071742020")]
    [InlineData("video/webm", "1A45DFA3")]
    [InlineData("audio/webm", "1A45DFA3")]
    [InlineData("audio/mpeg", "494433")]
    [InlineData("audio/mpeg", "FFFB9064")]
    [InlineData("audio/ogg", "4F676753")]
    [InlineData("audio/wav", "524946460000000057415645")]
    [InlineData("application/pdf", "255044462D312E37")]
    [InlineData("text/plain", "48656C6C6F0A")]
    public void The_first_bytes_of_each_accepted_kind_match_its_type(string type, string hex)
    {
        Assert.True(MediaTypes.Allowed.ContainsKey(type));
        Assert.True(MediaTypes.Matches(type, Convert.FromHexString(hex)));
    }

    [Theory]
    [InlineData("image/jpeg", "89504E470D0A1A0A")] // a PNG
    [InlineData("image/png", "FFD8FFE0")] // a JPEG
    [InlineData("video/mp4", "0000001C6674797068656963")] // a HEIC photo
    [InlineData("image/heic", "000000186674797069736F6D")] // an MP4
    [InlineData("video/quicktime", "000000186674797069736F6D")]
    [InlineData("audio/wav", "52494646000000005745425056503820")] // a WebP
    [InlineData("application/pdf", "4D5A9000")] // a Windows executable
    [InlineData("text/plain", "255044462D312E37")] // a PDF
    [InlineData("text/plain", "48650065")] // a NUL byte
    [InlineData("image/jpeg", "")]
    public void A_file_that_starts_like_something_else_does_not_match(string type, string hex) =>
        Assert.False(MediaTypes.Matches(type, Convert.FromHexString(hex)));

    [Theory]
    [InlineData("image/jpeg; charset=x", "image/jpeg")]
    [InlineData(" IMAGE/PNG ", "image/png")]
    [InlineData("", null)]
    public void A_content_type_is_reduced_to_its_media_type(string header, string? expected) => Assert.Equal(expected, MediaTypes.Normalize(header));

    [Theory]
    [InlineData("../evil", true)]
    [InlineData("evidence/../../evil", true)]
    [InlineData("/etc/passwd", true)]
    [InlineData("evidence\\x", true)]
    [InlineData("C:/x", true)]
    [InlineData("evidence//x", true)]
    [InlineData("./manifest.json", true)]
    [InlineData("", true)]
    [InlineData("manifest.json", false)]
    [InlineData("evidence/", false)]
    [InlineData("evidence/0123abcd.jpg", false)]
    public void Zip_entry_names_that_could_leave_the_folder_are_unsafe(string name, bool unsafeName) =>
        Assert.Equal(unsafeName, IncidentBundle.IsUnsafeName(name));

    private static async Task<byte[]> StripAsync(string type, byte[] input)
    {
        var output = new MemoryStream();
        await MetadataStripper.StripAsync(type, new MemoryStream(input), output, default);
        return output.ToArray();
    }

    [Fact]
    public async Task The_JPEG_stripper_drops_Exif_XMP_and_comments_and_copies_everything_else()
    {
        Assert.Equal(EvidenceFixtures.JpegWithoutMetadata(), await StripAsync("image/jpeg", EvidenceFixtures.JpegWithGps()));
        // A file without metadata comes out the same, byte for byte.
        Assert.Equal(EvidenceFixtures.JpegWithoutMetadata(), await StripAsync("image/jpeg", EvidenceFixtures.JpegWithoutMetadata()));
        Assert.Equal(EvidenceFixtures.PngWithoutMetadata(), await StripAsync("image/png", EvidenceFixtures.PngWithLocation()));
    }

    [Fact]
    public async Task A_cut_or_malformed_image_is_reported_not_half_copied()
    {
        var jpeg = EvidenceFixtures.JpegWithGps();
        await Assert.ThrowsAsync<InvalidDataException>(() => StripAsync("image/jpeg", jpeg[..30]));
        await Assert.ThrowsAsync<InvalidDataException>(() => StripAsync("image/jpeg", Encoding.ASCII.GetBytes("not a jpeg")));
        await Assert.ThrowsAsync<InvalidDataException>(() => StripAsync("image/png", EvidenceFixtures.PngWithLocation()[..20]));
    }

    [Fact]
    public void Sizes_are_said_in_plain_words()
    {
        Assert.Equal("2 GB", EvidenceApi.Size(2L << 30));
        Assert.Equal("1 MB", EvidenceApi.Size(1 << 20));
        Assert.Equal("500 bytes", EvidenceApi.Size(500));
    }
}
