using System.Text;

namespace Whistle.Incidents;

/// <summary>
/// The kinds of file evidence may be, and a check of a file's first bytes (its magic number) against the type
/// the uploader declared: a declared photo that starts like a PDF is refused.
/// </summary>
public static class MediaTypes
{
    /// <summary>How many first bytes <see cref="Matches"/> looks at.</summary>
    public const int SniffLength = 64;

    /// <summary>Allowed media type → the file extension used in export bundles.</summary>
    public static readonly IReadOnlyDictionary<string, string> Allowed = new Dictionary<string, string>
    {
        ["image/jpeg"] = "jpg", ["image/png"] = "png", ["image/heic"] = "heic", ["image/webp"] = "webp",
        ["video/mp4"] = "mp4", ["video/quicktime"] = "mov", ["video/webm"] = "webm",
        ["audio/mpeg"] = "mp3", ["audio/mp4"] = "m4a", ["audio/ogg"] = "ogg", ["audio/wav"] = "wav", ["audio/webm"] = "weba",
        ["application/pdf"] = "pdf", ["text/plain"] = "txt",
    };

    public static string AllowedList => string.Join(", ", Allowed.Keys);

    /// <summary>The bare media type of a Content-Type header ("image/jpeg; q=1" → "image/jpeg"), lower case; null when absent.</summary>
    public static string? Normalize(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return null;
        var semi = contentType.IndexOf(';');
        return (semi < 0 ? contentType : contentType[..semi]).Trim().ToLowerInvariant();
    }

    public static string Extension(string mediaType) => Allowed.TryGetValue(mediaType, out var ext) ? ext : "bin";

    private static bool StartsWith(ReadOnlySpan<byte> head, ReadOnlySpan<byte> magic) => head.StartsWith(magic);

    private static bool At(ReadOnlySpan<byte> head, int offset, string ascii) =>
        head.Length >= offset + ascii.Length && head.Slice(offset, ascii.Length).SequenceEqual(Encoding.ASCII.GetBytes(ascii));

    /// <summary>An ISO base media file (MP4, QuickTime, HEIC): a box size, then "ftyp" and the major brand.</summary>
    private static string? Brand(ReadOnlySpan<byte> head) => At(head, 4, "ftyp") && head.Length >= 12 ? Encoding.ASCII.GetString(head.Slice(8, 4)) : null;

    private static readonly HashSet<string> HeifBrands = ["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"];

    private static bool LooksBinary(ReadOnlySpan<byte> head)
    {
        foreach (var type in Allowed.Keys)
            if (type != "text/plain" && Matches(type, head)) return true;
        return false;
    }

    /// <summary>Whether the first bytes of a file are what a file of <paramref name="mediaType"/> starts with.</summary>
    public static bool Matches(string mediaType, ReadOnlySpan<byte> head)
    {
        var brand = Brand(head);
        return mediaType switch
        {
            "image/jpeg" => StartsWith(head, [0xFF, 0xD8, 0xFF]),
            "image/png" => StartsWith(head, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            "image/heic" => brand is not null && HeifBrands.Contains(brand),
            "image/webp" => At(head, 0, "RIFF") && At(head, 8, "WEBP"),
            "video/mp4" or "audio/mp4" => brand is not null && brand != "qt  " && !HeifBrands.Contains(brand),
            "video/quicktime" => brand == "qt  " || At(head, 4, "moov") || At(head, 4, "mdat") || At(head, 4, "wide") || At(head, 4, "free"),
            "video/webm" or "audio/webm" => StartsWith(head, [0x1A, 0x45, 0xDF, 0xA3]),
            "audio/mpeg" => At(head, 0, "ID3") || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0),
            "audio/ogg" => At(head, 0, "OggS"),
            "audio/wav" => At(head, 0, "RIFF") && At(head, 8, "WAVE"),
            "application/pdf" => At(head, 0, "%PDF-"),
            // Text has no magic number: no NUL byte, and not any of the binary kinds above.
            "text/plain" => !head.Contains((byte)0) && !LooksBinary(head),
            _ => false,
        };
    }
}
