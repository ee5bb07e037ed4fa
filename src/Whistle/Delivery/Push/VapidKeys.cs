using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Whistle.Delivery.Push;

/// <summary>
/// This server's VAPID identity (RFC 8292): a P-256 key pair made on first start and kept in
/// &lt;data dir&gt;/vapid.json (mode 0600, written atomically), or given as that file's JSON in
/// Whistle:Push:VapidKeys so several nodes share one identity. Browsers subscribe with the public key
/// (applicationServerKey) and push services then accept only requests signed with the private one, so
/// the key must not change while subscriptions made with it are to keep working.
/// </summary>
public sealed class VapidKeys : IDisposable
{
    public const string FileName = "vapid.json";
    /// <summary>How long a signed token is valid (RFC 8292 allows at most 24 hours).</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(12);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromHours(1);
    private const int MaxCachedTokens = 1000;
    private static readonly string JwtHeader = Base64Url.EncodeToString("""{"typ":"JWT","alg":"ES256"}"""u8);

    private readonly ECDsa _key;
    private readonly Lock _signing = new();
    private readonly ConcurrentDictionary<(string Audience, string Subject), (string Token, DateTimeOffset Expires)> _tokens = new();

    private VapidKeys(ECParameters parameters)
    {
        _key = ECDsa.Create(parameters);
        var q = _key.ExportParameters(false).Q;
        PublicKey = [0x04, .. q.X!, .. q.Y!];
        PublicKeyBase64Url = Base64Url.EncodeToString(PublicKey);
    }

    /// <summary>The uncompressed P-256 point (65 bytes), what a page passes to pushManager.subscribe().</summary>
    public byte[] PublicKey { get; }
    public string PublicKeyBase64Url { get; }

    /// <summary>The keys from the setting when given, else from the file, made there on first start.</summary>
    public static VapidKeys Load(string? configured, string file)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return FromJson(configured);
        if (File.Exists(file)) return FromJson(File.ReadAllText(file));
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keys = new VapidKeys(fresh.ExportParameters(true));
        return keys.SaveNew(file) ? keys : FromJson(File.ReadAllText(file));
    }

    /// <summary>The Authorization header's parameter for RFC 8292's "vapid" scheme: "t=&lt;JWT&gt;, k=&lt;public key&gt;".</summary>
    /// <param name="audience">The origin of the push resource (scheme, host and any non-default port).</param>
    public string Credentials(string audience, string subject, DateTimeOffset now)
    {
        var key = (audience, subject);
        if (!_tokens.TryGetValue(key, out var cached) || cached.Expires - now < RenewBefore)
        {
            var expires = now + TokenLifetime;
            var claims = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
            {
                ["aud"] = audience,
                ["exp"] = expires.ToUnixTimeSeconds(),
                ["sub"] = subject,
            });
            var signingInput = JwtHeader + "." + Base64Url.EncodeToString(claims);
            byte[] signature;
            // One ECDsa object is shared by every sending worker; signing is rare (a token per push service per hours).
            lock (_signing) signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            cached = (signingInput + "." + Base64Url.EncodeToString(signature), expires);
            if (_tokens.Count >= MaxCachedTokens) _tokens.Clear(); // endpoints are chosen by subscribers: keep the cache bounded
            _tokens[key] = cached;
        }
        return $"t={cached.Token}, k={PublicKeyBase64Url}";
    }

    public static VapidKeys FromJson(string json)
    {
        var node = JsonNode.Parse(json) ?? throw new FormatException("empty VAPID key file");
        var point = Base64Url.DecodeFromChars(node["publicKey"]!.GetValue<string>());
        var d = Base64Url.DecodeFromChars(node["privateKey"]!.GetValue<string>());
        if (point is not { Length: 65 } || point[0] != 0x04 || d.Length != 32)
            throw new FormatException("VAPID keys: publicKey must be a 65-byte uncompressed P-256 point and privateKey 32 bytes, base64url.");
        return new VapidKeys(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33], Y = point[33..] },
            D = d,
        });
    }

    private string ToJson() => new JsonObject
    {
        ["publicKey"] = PublicKeyBase64Url,
        ["privateKey"] = Base64Url.EncodeToString(_key.ExportParameters(true).D),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Writes a new key file atomically; false when another process wrote one first (theirs wins).</summary>
    private bool SaveNew(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var tmp = $"{file}.{Guid.NewGuid():N}.tmp";
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var fs = new FileStream(tmp, create))
        using (var w = new StreamWriter(fs)) w.Write(ToJson());
        try
        {
            File.Move(tmp, file, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(file))
        {
            File.Delete(tmp);
            return false;
        }
    }

    public void Dispose() => _key.Dispose();
}
