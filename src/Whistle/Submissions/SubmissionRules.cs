using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Whistle.Incidents;

namespace Whistle.Submissions;

/// <summary>The rules of a public submission that need no host: what is a file a bystander may send, and what it is called.</summary>
public static class SubmissionRules
{
    /// <summary>How far ahead of the server's clock a phone's "when" may be (phones' clocks drift).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(10);
    /// <summary>How far back a recording's "when" may be.</summary>
    public static readonly TimeSpan OldestObserved = TimeSpan.FromDays(366);
    public const int MaxFileNameLength = 255;

    /// <summary>
    /// The bare media type of what a phone declared ("video/webm;codecs=vp8,opus" → "video/webm"), when it is an image,
    /// video or audio type evidence may be (<see cref="MediaTypes.Allowed"/>); else null.
    /// </summary>
    public static string? MediaType(string? declared)
    {
        var t = MediaTypes.Normalize(declared);
        if (t is null || t.Length > 100) return null;
        if (!(t.StartsWith("image/", StringComparison.Ordinal) || t.StartsWith("video/", StringComparison.Ordinal) || t.StartsWith("audio/", StringComparison.Ordinal)))
            return null;
        return MediaTypes.Allowed.ContainsKey(t) ? t : null;
    }

    /// <summary>The image, video and audio types a bystander may send, for the problem text.</summary>
    public static string AllowedList => string.Join(", ", MediaTypes.Allowed.Keys.Where(t => MediaType(t) is not null));

    /// <summary>
    /// A file's name as shown and kept: its last path segment only (no "../", no folders, no drive), one line, without
    /// leading dots or trailing spaces; "file" when nothing is left. Never used as a path on the server.
    /// </summary>
    public static string FileName(string? declared)
    {
        var s = Platform.Text.CleanLine(declared) ?? "";
        var cut = s.LastIndexOfAny(['/', '\\']);
        if (cut >= 0) s = s[(cut + 1)..];
        s = s.Replace(':', '_').Trim().TrimStart('.').Trim();
        if (s.Length > MaxFileNameLength) s = s[..MaxFileNameLength];
        return s.Length == 0 ? "file" : s;
    }

    public static bool IsSha256Hex(string? s) => s is { Length: 64 } && s.All(char.IsAsciiHexDigit);

    /// <summary>The consent as the page writes it ("lawyersOnly", "lawyers_only", "publishBlurred", "publish"), or null.</summary>
    public static SubmissionConsent? Consent(string? s) =>
        (s ?? "").Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant() switch
        {
            "lawyersonly" => SubmissionConsent.LawyersOnly,
            "publishblurred" => SubmissionConsent.PublishBlurred,
            "publish" => SubmissionConsent.Publish,
            _ => null,
        };

    public static string ConsentName(SubmissionConsent c) => c switch
    {
        SubmissionConsent.LawyersOnly => "lawyersOnly",
        SubmissionConsent.PublishBlurred => "publishBlurred",
        _ => "publish",
    };

    public static string StateName(SubmissionState s) => s switch
    {
        SubmissionState.Uploading => "uploading",
        SubmissionState.Received => "received",
        SubmissionState.Attached => "attached",
        _ => "rejected",
    };

    /// <summary>A tus upload id: 128 random bits as 26 lower-case base32 characters (RFC 4648 alphabet, no padding).</summary>
    public static string NewUploadId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        Span<byte> b = stackalloc byte[17];
        RandomNumberGenerator.Fill(b[..16]);
        b[16] = 0;
        var sb = new StringBuilder(26);
        int bits = 0, acc = 0;
        foreach (var x in b)
        {
            acc = (acc << 8) | x;
            bits += 8;
            while (bits >= 5 && sb.Length < 26)
            {
                sb.Append(alphabet[(acc >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        return sb.ToString();
    }

    /// <summary>The secret the page holds to add files and read its submission back: 32 random bytes, base64url.</summary>
    public static string NewUploadSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>What is hashed to keep an upload secret (<see cref="Submission.UploadSecretHash"/>, keyed).</summary>
    public static string SecretKey(string secret) => "submission.secret:" + secret;
}

/// <summary>
/// The canonical record of a submission as it was received, whose SHA-256 is the objectHash of its
/// <c>submission_received</c> custody entry: receipt code, consent, blur request, when it was received and observed
/// (UTC, whole seconds, so every database gives back the same text), and each declared file (name, type, size, the
/// phone's SHA-256), files sorted by hash then name. Anyone holding the rows can recompute it: <see cref="Of"/>.
/// </summary>
public sealed record SubmissionRecord(string ReceiptCode, string Consent, bool BlurRequested, string ReceivedAt, string? ObservedAt,
    IReadOnlyList<SubmissionRecord.DeclaredFile> Files)
{
    public sealed record DeclaredFile(string Name, string Type, long Size, string Sha256);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static SubmissionRecord Of(Submission s, IEnumerable<SubmissionFile> files) => new(
        s.ReceiptCode, SubmissionRules.ConsentName(s.Consent), s.BlurRequested, Time(s.ReceivedAt), s.ObservedAt is { } o ? Time(o) : null,
        files.Select(f => new DeclaredFile(f.FileName, f.MediaType, f.Length, f.ClientSha256.ToLowerInvariant()))
            .OrderBy(f => f.Sha256, StringComparer.Ordinal).ThenBy(f => f.Name, StringComparer.Ordinal).ThenBy(f => f.Size).ToList());

    /// <summary>The canonical JSON (camelCase, fields in the order above).</summary>
    public string Canonical() => JsonSerializer.Serialize(this, Json);

    /// <summary>Lower-case hex SHA-256 of <see cref="Canonical"/>.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical())));

    /// <summary>The hash a submission's <c>submission_received</c> entry carries.</summary>
    public static string Hash(Submission s, IEnumerable<SubmissionFile> files) => Of(s, files).Hash();
}
