using System.Security.Cryptography;
using System.Text;

namespace Whistle.Identity;

/// <summary>
/// One login of a staff member: what every access token points at. Revoking the row (logout, an admin, a role change,
/// a password reset, disabling) ends that login at the next request. No IP address, no device fingerprint: only a
/// coarse label ("Chrome on Android") so a person can tell their sessions apart.
/// </summary>
public class StaffSession
{
    public Guid Id { get; set; }
    public string UserId { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastUsedAt { get; set; }
    /// <summary>The end of the login, whatever refreshes happen: one shift.</summary>
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>"logout", "admin", "role", "password", "disabled", "reuse", "security".</summary>
    public string? RevokedReason { get; set; }
    /// <summary>The account's security stamp at login: a newer stamp (any security change) ends the session.</summary>
    public string Stamp { get; set; } = "";
    /// <summary>SHA-256 of the current refresh secret (base64url); the secret itself is never stored.</summary>
    public string RefreshHash { get; set; } = "";
    /// <summary>The hash of the refresh secret this one replaced: presenting it again means it was copied, and ends the session.</summary>
    public string? PreviousRefreshHash { get; set; }
    /// <summary>A second factor is required for this person's role and none is set up: this session may only set one up.</summary>
    public bool MustEnrol { get; set; }
    public string Client { get; set; } = "";
}

/// <summary>The rules of sessions and their tokens, on plain values.</summary>
public static class SessionRules
{
    /// <summary>How long an access token lives: a stolen one is worth at most this long.</summary>
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromMinutes(15);
    /// <summary>How long a login lasts (one shift), refreshes included.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);
    /// <summary>How long an ended (expired or revoked) session's row is kept for admins to see, then purged.</summary>
    public static readonly TimeSpan EndedKeptFor = TimeSpan.FromDays(7);
    public const string SessionClaim = "whistle.session";

    public static bool IsActive(DateTimeOffset? revokedAt, DateTimeOffset expiresAt, DateTimeOffset now) => revokedAt is null && expiresAt > now;

    /// <summary>A new refresh secret: the token handed out is "sessionId.secret".</summary>
    public static (string Token, string Hash) NewRefresh(Guid session)
    {
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return ($"{session:N}.{secret}", Hash(secret));
    }

    public static bool TryParseRefresh(string? token, out Guid session, out string hash)
    {
        session = Guid.Empty;
        hash = "";
        if (token is not { Length: > 33 and <= 200 } || token[32] != '.' || !Guid.TryParseExact(token[..32], "N", out session)) return false;
        hash = Hash(token[33..]);
        return true;
    }

    public static string Hash(string secret) => Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Whether a presented refresh hash is the current one, a replaced one (theft), or nothing we know.</summary>
    public static RefreshCheck Check(string presented, string current, string? previous) =>
        FixedEquals(presented, current) ? RefreshCheck.Current
        : previous is not null && FixedEquals(presented, previous) ? RefreshCheck.Reused
        : RefreshCheck.Unknown;

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>"Firefox on Android": browser family and system from the User-Agent, nothing more precise.</summary>
    public static string ClientLabel(string? userAgent)
    {
        var ua = userAgent ?? "";
        string browser = ua.Contains("Edg/") ? "Edge" : ua.Contains("OPR/") ? "Opera" : ua.Contains("Firefox/") ? "Firefox"
            : ua.Contains("Chrome/") || ua.Contains("Chromium/") ? "Chrome" : ua.Contains("Safari/") ? "Safari" : "";
        string system = ua.Contains("Android") ? "Android" : ua.Contains("iPhone") || ua.Contains("iPad") ? "iOS"
            : ua.Contains("Windows") ? "Windows" : ua.Contains("Mac OS X") ? "macOS" : ua.Contains("Linux") ? "Linux" : "";
        return (browser, system) switch
        {
            ("", "") => "Other",
            (_, "") => browser,
            ("", _) => system,
            _ => $"{browser} on {system}",
        };
    }
}

public enum RefreshCheck { Current, Reused, Unknown }
