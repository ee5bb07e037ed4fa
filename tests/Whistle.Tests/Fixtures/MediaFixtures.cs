using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Whistle.Tests.Api;

namespace Whistle.Tests.Fixtures;

/// <summary>
/// Real media files a bystander's phone could send (issue 15), made once per test run with Debian's ffmpeg and cached in
/// a temporary folder: a short MP4 and MOV carrying a GPS location atom, a JPEG with an Exif GPS IFD, and an audio clip.
/// Each is checked to hold what it claims (ffprobe shows the location; the JPEG has the 0x8825 tag), so a test built on
/// them cannot pass for want of a location to strip. Static: any test may use them; the files are read-only by contract
/// (copy before changing one).
/// </summary>
public static class MediaFixtures
{
    /// <summary>The location every fixture carries (ISO 6709, as ffmpeg writes it into the movie's metadata).</summary>
    public const string Location = "+44.9483-093.2620/";
    /// <summary>Digits of the latitude as they appear in ffprobe's output and in the file's bytes.</summary>
    public const string LatitudeText = "44.9483";

    private static readonly Lazy<string> Folder = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"whistle-media-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    });

    private static readonly ConcurrentDictionary<string, Lazy<string>> Made = new();

    private static string Once(string name, Action<string> make) => Made.GetOrAdd(name, n => new Lazy<string>(() =>
    {
        var path = Path.Combine(Folder.Value, n);
        var temp = path + ".part";
        make(temp);
        File.Move(temp, path, overwrite: true);
        return path;
    })).Value;

    /// <summary>
    /// An H.264 + AAC MP4 (about <paramref name="seconds"/> s, 320×240, noisy so it does not compress to nothing) with a
    /// location (<c>-metadata location=… -movflags use_metadata_tags</c>: the QuickTime "mdta" location key) and a creation time.
    /// </summary>
    public static string VideoWithGps(int seconds = 2) => Once($"scene-{seconds}s.mp4", path => MakeVideo(path, "mp4", seconds));

    /// <summary>The same as a QuickTime MOV (what an iPhone sends).</summary>
    public static string MovWithGps(int seconds = 2) => Once($"scene-{seconds}s.mov", path => MakeVideo(path, "mov", seconds));

    private static void MakeVideo(string path, string format, int seconds)
    {
        Ffmpeg.Run("ffmpeg", $"-v error -f lavfi -i testsrc2=duration={seconds}:size=320x240:rate=15 -f lavfi -i anoisesrc=d={seconds}:a=0.1 " +
            "-vf noise=alls=40:allf=t -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest " +
            $"-metadata location={Location} -metadata creation_time=2026-12-02T11:10:00Z -movflags use_metadata_tags -f {format} -y {path}");
        var probe = Ffmpeg.Run("ffprobe", $"-v error -show_entries format_tags -of default=noprint_wrappers=1 {path}");
        if (!probe.Contains(LatitudeText, StringComparison.Ordinal))
            throw new InvalidOperationException($"ffmpeg wrote no location into {path} (ffprobe: {probe}): a test on it would prove nothing");
    }

    /// <summary>A 3 s Opus clip in Ogg (what Chrome's MediaRecorder records audio as, near enough).</summary>
    public static string Audio() => Once("voice.ogg", path =>
        Ffmpeg.Run("ffmpeg", $"-v error -f lavfi -i sine=frequency=440:duration=3 -c:a libopus -b:a 24k -f ogg -y {path}"));

    /// <summary>A 3 s AAC clip in M4A (what an iPhone's voice memo is).</summary>
    public static string AudioM4a() => Once("voice.m4a", path =>
        Ffmpeg.Run("ffmpeg", $"-v error -f lavfi -i sine=frequency=440:duration=3 -c:a aac -f ipod -y {path}"));

    /// <summary>
    /// A JPEG that decodes (ffmpeg-made 64×48 image) with an APP1 Exif segment holding a GPS IFD (tag 0x8825 →
    /// GPSLatitudeRef, GPSLatitude 44° 57' 54.67"), built with issue 14's Exif builder and put right after SOI.
    /// </summary>
    public static string JpegWithGps() => Once("photo.jpg", path =>
    {
        var plain = path + ".plain.jpg";
        Ffmpeg.Run("ffmpeg", $"-v error -f lavfi -i testsrc2=size=64x48 -frames:v 1 -f image2 -c:v mjpeg -y {plain}");
        var bytes = File.ReadAllBytes(plain);
        File.Delete(plain);
        if (bytes is not [0xFF, 0xD8, ..]) throw new InvalidOperationException("ffmpeg made no JPEG");
        File.WriteAllBytes(path, [0xFF, 0xD8, .. EvidenceFixtures.Exif, .. bytes.AsSpan(2)]);
    });

    /// <summary>Whether a JPEG still holds a GPS IFD: an APP1 Exif segment whose IFD0 names tag 0x8825, or the latitude's rationals.</summary>
    public static bool JpegHasGps(byte[] jpeg) =>
        jpeg.AsSpan().IndexOf(EvidenceFixtures.GpsLatitudeRationals) >= 0
        || ExifSegments(jpeg).Any(s => s.AsSpan().IndexOf(GpsTagBigEndian) >= 0 || s.AsSpan().IndexOf(GpsTagLittleEndian) >= 0);

    private static readonly byte[] GpsTagBigEndian = [0x88, 0x25], GpsTagLittleEndian = [0x25, 0x88];

    private static IEnumerable<byte[]> ExifSegments(byte[] jpeg)
    {
        int i = 2;
        while (i + 4 <= jpeg.Length && jpeg[i] == 0xFF)
        {
            var marker = jpeg[i + 1];
            if (marker is 0xDA or 0xD9) yield break;
            int length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (marker == 0xE1 && i + 2 + length <= jpeg.Length && jpeg.AsSpan(i + 4).StartsWith("Exif\0\0"u8))
                yield return jpeg[(i + 4)..(i + 2 + length)];
            i += 2 + length;
        }
    }

    /// <summary>What ffprobe says of a movie's tags (empty when it has none).</summary>
    public static string ProbeTags(string path) =>
        Ffmpeg.Run("ffprobe", $"-v error -show_entries format_tags:stream_tags -of default=noprint_wrappers=1 {path}");

    /// <summary>Whether a movie file holds a location: ffprobe's tags or the raw bytes (©xyz, loci, the digits).</summary>
    public static bool MovieHasLocation(string path)
    {
        if (ProbeTags(path).Contains(LatitudeText, StringComparison.Ordinal)) return true;
        var bytes = File.ReadAllBytes(path);
        return new[] { LatitudeText, "\u00A9xyz", "loci", "ISO6709" }.Any(w => bytes.AsSpan().IndexOf(Encoding.Latin1.GetBytes(w)) >= 0);
    }

    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
