using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Whistle.Incidents;
using static Whistle.Tests.Api.EvidenceFixtures;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 14 §6: a public copy holds no location metadata of any image in the file — not a second picture of a
/// multi-picture JPEG (MPF, or one appended), not a thumbnail (Exif IFD1, JFIF extension), not metadata between
/// scans, not a PNG's eXIf, XMP text, ImageMagick chunks or whatever follows its end.
/// </summary>
public sealed class PublicCopyTests
{
    private static readonly byte[] Soi = [0xFF, 0xD8];

    public static async Task<byte[]> StripAsync(string type, byte[] input)
    {
        var output = new MemoryStream();
        await MetadataStripper.StripAsync(type, new MemoryStream(input), output, default);
        return output.ToArray();
    }

    /// <summary>An MPF index (APP2 "MPF\0"): a TIFF-style header whose MP entry points at a second image after this one.</summary>
    private static readonly byte[] Mpf = Segment(0xE2, [.. "MPF\0"u8, .. "MM\0*"u8, 0, 0, 0, 8, 0, 1, 0xB0, 0x00, 0, 7, 0, 0, 0, 4, .. "0100"u8, 0, 0, 0, 0]);

    /// <summary>
    /// An Exif with Orientation 6 in IFD0 and an IFD1 thumbnail (JPEGInterchangeFormat/Length) that is itself a JPEG
    /// with its own Exif GPS block.
    /// </summary>
    private static byte[] ExifWithGpsThumbnail()
    {
        var thumb = JpegWithGps();
        var tiff = new List<byte>();
        void U16(int v) { tiff.Add((byte)(v >> 8)); tiff.Add((byte)v); }
        void U32(int v) { U16(v >> 16); U16(v & 0xFFFF); }
        tiff.AddRange("MM"u8.ToArray()); U16(42); U32(8);
        // IFD0 at 8: Orientation = 6; next IFD at 8 + 2 + 12 + 4 = 26.
        U16(1); U16(0x0112); U16(3); U32(1); U16(6); U16(0); U32(26);
        // IFD1 at 26: 2 entries → the thumbnail at 26 + 2 + 24 + 4 = 56.
        U16(2); U16(0x0201); U16(4); U32(1); U32(56); U16(0x0202); U16(4); U32(1); U32(thumb.Length); U32(0);
        tiff.AddRange(thumb);
        return Segment(0xE1, [.. "Exif\0\0"u8, .. tiff]);
    }

    /// <summary>A JFIF extension APP0 ("JFXX", code 0x10: a thumbnail coded as JPEG) whose thumbnail carries GPS.</summary>
    private static readonly byte[] JfxxThumbnail = Segment(0xE0, [.. "JFXX\0"u8, 0x10, .. JpegWithGps()]);

    public static byte[] MultiPictureJpeg() => [.. Soi, .. Jfif, .. Exif, .. Mpf, .. ImageData, .. JpegWithGps()];

    public static TheoryData<string, byte[], byte[]> Jpegs() => new()
    {
        { "MPF: a second picture with its own Exif GPS after the first's EOI", MultiPictureJpeg(), JpegWithoutMetadata() },
        { "a JPEG appended after EOI", [.. JpegWithoutMetadata(), .. JpegWithGps()], JpegWithoutMetadata() },
        { "Exif GPS between the scan and EOI", [.. Soi, .. Jfif, .. ImageData[..^2], .. Exif, .. Comment, 0xFF, 0xD9], JpegWithoutMetadata() },
        { "a JFXX thumbnail carrying GPS", [.. Soi, .. Jfif, .. JfxxThumbnail, .. ImageData], JpegWithoutMetadata() },
        { "an Exif IFD1 thumbnail carrying GPS, orientation kept", [.. Soi, .. Jfif, .. ExifWithGpsThumbnail(), .. ImageData],
            [.. Soi, .. Jfif, .. MetadataStripper.OrientationOnlyExif(6), .. ImageData] },
        { "a JFIF APP0 with a thumbnail of its own", [.. Soi, .. Segment(0xE0, [.. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0x44, 0x2C, 0x93]), .. ImageData], JpegWithoutMetadata() },
    };

    [Theory]
    [MemberData(nameof(Jpegs))]
    public async Task No_location_of_any_embedded_image_or_thumbnail_survives_in_a_JPEG_public_copy(string what, byte[] input, byte[] expected)
    {
        var copy = await StripAsync("image/jpeg", input);
        AssertNoLocation(copy, what);
        Assert.Equal(1, Count(copy, [0xFF, 0xD8]));
        Assert.Equal(-1, copy.AsSpan().IndexOf("MPF"u8));
        Assert.Equal(-1, copy.AsSpan().IndexOf("JFXX"u8));
        Assert.Equal(expected, copy);
    }

    [Fact]
    public async Task A_PNG_public_copy_keeps_only_the_chunks_that_draw_it_and_nothing_after_IEND()
    {
        byte[] exif = ExifWithGps()[6..];
        byte[] png =
        [
            .. PngSig, .. Ihdr,
            .. Chunk("eXIf", exif),
            .. Chunk("exIf", exif), // ImageMagick's older chunk names
            .. Chunk("zxIf", exif),
            .. Chunk("iTXt", [.. "XML:com.adobe.xmp"u8, 0, 0, 0, 0, 0, .. "<x:xmpmeta><exif:GPSLatitude>44,57.91N</exif:GPSLatitude></x:xmpmeta>"u8]),
            .. Chunk("tEXt", [.. "Location"u8, 0, .. "44.965,-93.256"u8]),
            .. Chunk("tIME", [0x07, 0xEA, 11, 20, 18, 4, 0]),
            .. Chunk("gpSx", exif), // any unknown chunk
            .. Idat, .. Iend,
            .. JpegWithGps(), // appended after the end
        ];
        var copy = await StripAsync("image/png", png);
        AssertNoLocation(copy, "png");
        Assert.Equal(PngWithoutMetadata(), copy);
        // Chunks that say how to draw the picture stay.
        byte[] drawn = [.. PngSig, .. Ihdr, .. Chunk("gAMA", [0, 0, 0xB1, 0x8F]), .. Chunk("pHYs", [0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1]), .. Idat, .. Iend];
        Assert.Equal(drawn, await StripAsync("image/png", drawn));
    }

    [Fact]
    public async Task A_real_multi_picture_JPEG_loses_every_GPS_block_and_still_decodes()
    {
        var dir = Directory.CreateTempSubdirectory("whistle-mpf-").FullName;
        try
        {
            var camera = Path.Combine(dir, "camera.jpg");
            await RunAsync("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", "-y", camera);
            var real = await File.ReadAllBytesAsync(camera);
            // What a phone writes: SOI, Exif (GPS), the MPF index, the primary image, then the second picture with its own Exif.
            byte[] multi = [.. Soi, .. Exif, .. Mpf, .. real[2..], .. Soi, .. Exif, .. real[2..]];
            var copy = await StripAsync("image/jpeg", multi);
            AssertNoLocation(copy, "real", tagBytes: false); // scan data may hold any two bytes
            Assert.Equal(1, Count(copy, [0xFF, 0xD8]));
            var stripped = Path.Combine(dir, "public.jpg");
            await File.WriteAllBytesAsync(stripped, copy);
            Assert.Equal("64,48", (await RunAsync("ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", stripped)).Trim());
            Assert.Equal("", await RunAsync("ffmpeg", "-v", "error", "-i", stripped, "-f", "null", "-"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_orientation_is_read_from_either_byte_order_and_only_when_it_turns_the_picture()
    {
        byte[] little = [.. "Exif\0\0"u8, (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal((ushort)8, MetadataStripper.ExifOrientation(little));
        Assert.Equal((ushort)6, MetadataStripper.ExifOrientation(MetadataStripper.OrientationOnlyExif(6).AsSpan(4)));
        Assert.Null(MetadataStripper.ExifOrientation(ExifWithGps()));
        Assert.Null(MetadataStripper.ExifOrientation(MetadataStripper.OrientationOnlyExif(1).AsSpan(4)));
        Assert.Null(MetadataStripper.ExifOrientation("Exif\0\0MM\0*\xff\xff\xff\xff"u8));
    }

    /// <summary>No GPS IFD pointer, no GPS tag names, no coordinates, no Exif other than a bare orientation.</summary>
    internal static void AssertNoLocation(byte[] copy, string what, bool tagBytes = true)
    {
        Assert.True(copy.AsSpan().IndexOf(GpsLatitudeRationals) < 0, what + ": GPS latitude rationals");
        Assert.True(copy.AsSpan().IndexOf("GPS"u8) < 0, what + ": \"GPS\"");
        Assert.True(!tagBytes || copy.AsSpan().IndexOf(new byte[] { 0x88, 0x25 }) < 0 && copy.AsSpan().IndexOf(new byte[] { 0x25, 0x88 }) < 0, what + ": GPS IFD tag 0x8825");
        Assert.True(copy.AsSpan().IndexOf("44.965"u8) < 0 && copy.AsSpan().IndexOf("44,57"u8) < 0, what + ": coordinates as text");
        Assert.True(copy.AsSpan().IndexOf("xmpmeta"u8) < 0, what + ": XMP");
    }

    private static int Count(byte[] haystack, byte[] needle)
    {
        int n = 0;
        for (var rest = haystack.AsSpan(); rest.IndexOf(needle) is var i and >= 0; rest = rest[(i + needle.Length)..]) n++;
        return n;
    }

    private static async Task<string> RunAsync(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/" + tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{tool} failed: {error}");
        return await output + error;
    }
}
