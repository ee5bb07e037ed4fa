using System.Text;

namespace Whistle.Submissions;

/// <summary>
/// The tus 1.0 headers Whistle reads, parsed strictly (https://tus.io/protocols/resumable-upload): anything that is not
/// exactly the protocol's form is refused, never guessed at. Plain functions, tested without a host.
/// </summary>
public static class TusProtocol
{
    public const string Version = "1.0.0";
    public const string Extensions = "creation,termination,checksum";
    public const string ChecksumAlgorithms = "sha256";
    /// <summary>460 Checksum Mismatch (the checksum extension's own status).</summary>
    public const int ChecksumMismatch = 460;
    /// <summary>The longest Upload-Metadata header taken (the six keys the page sends fit in well under 1 KB).</summary>
    public const int MaxMetadataLength = 4096;
    /// <summary>The longest single decoded metadata value (a file name, a hash, a secret).</summary>
    public const int MaxValueLength = 512;
    public const int MaxPairs = 16;

    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>Whether <paramref name="id"/> has the shape of an upload id (26 lower-case base32 characters): checked before any look-up or path (any lower-case letter or digit: safe in a path whatever base32 alphabet made it).</summary>
    public static bool IsUploadId(string? id) => id is { Length: 26 } && id.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9');

    /// <summary>A new upload id: 130 random bits in 26 lower-case base32 characters.</summary>
    public static string NewUploadId()
    {
        Span<byte> bytes = stackalloc byte[26];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return string.Create(26, bytes.ToArray(), (s, b) => { for (int i = 0; i < s.Length; i++) s[i] = Base32[b[i] & 31]; });
    }

    /// <summary>
    /// Upload-Metadata: comma-separated pairs, each a key (ASCII, no spaces or commas), optionally a single space and a
    /// base64 value. Refused (null): too long, too many pairs, a repeated or malformed key, a value that is not strict
    /// base64 or not UTF-8, or one holding control characters.
    /// </summary>
    public static Dictionary<string, string>? ParseMetadata(string? header)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(header)) return result;
        if (header.Length > MaxMetadataLength) return null;
        var pairs = header.Split(',');
        if (pairs.Length > MaxPairs) return null;
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        foreach (var raw in pairs)
        {
            var pair = raw.Trim(' ');
            if (pair.Length == 0) return null;
            var space = pair.IndexOf(' ');
            var key = space < 0 ? pair : pair[..space];
            if (key.Length is 0 or > 64 || !key.All(c => c is > ' ' and < (char)127)) return null;
            string value = "";
            if (space >= 0)
            {
                var encoded = pair[(space + 1)..];
                if (encoded.Length == 0 || encoded.Contains(' ') || encoded.Length % 4 != 0) return null;
                byte[] bytes;
                try { bytes = Convert.FromBase64String(encoded); }
                catch (FormatException) { return null; }
                if (bytes.Length > MaxValueLength) return null;
                try { value = utf8.GetString(bytes); }
                catch (DecoderFallbackException) { return null; }
                if (value.Any(c => char.IsControl(c) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF')) return null;
            }
            if (!result.TryAdd(key, value)) return null;
        }
        return result;
    }

    /// <summary>A non-negative integer header (Upload-Length, Upload-Offset): digits only, no sign, no spaces; null otherwise.</summary>
    public static long? ParseLength(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length > 19 || !header.All(char.IsAsciiDigit)) return null;
        return long.TryParse(header, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>The outcome of reading an Upload-Checksum header.</summary>
    public enum Checksum { None, Sha256, Unsupported, Malformed }

    /// <summary>Upload-Checksum: "&lt;algorithm&gt; &lt;base64 digest&gt;"; only sha256 (32 bytes) is supported.</summary>
    public static (Checksum Kind, byte[]? Digest) ParseChecksum(string? header)
    {
        if (header is null) return (Checksum.None, null);
        var parts = header.Split(' ');
        if (parts.Length != 2 || parts[0].Length == 0) return (Checksum.Malformed, null);
        if (!string.Equals(parts[0], "sha256", StringComparison.Ordinal)) return (Checksum.Unsupported, null);
        try
        {
            var digest = Convert.FromBase64String(parts[1]);
            return digest.Length == 32 ? (Checksum.Sha256, digest) : (Checksum.Malformed, null);
        }
        catch (FormatException) { return (Checksum.Malformed, null); }
    }

    /// <summary>Only photos, videos and sound recordings of the kinds the evidence store knows come through the public intake.</summary>
    public static bool IsPublicMediaType(string mediaType) =>
        Incidents.MediaTypes.Allowed.ContainsKey(mediaType) && (mediaType.StartsWith("image/", StringComparison.Ordinal)
            || mediaType.StartsWith("video/", StringComparison.Ordinal) || mediaType.StartsWith("audio/", StringComparison.Ordinal));
}
