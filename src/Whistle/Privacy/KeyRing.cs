using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Whistle.Privacy;

/// <summary>
/// The keys that protect personal data at rest: versioned AES-256-GCM keys for the data itself
/// and one HMAC-SHA256 key for look-ups. They live outside the database — in a 0600 key file in
/// the data dir or in the Whistle:Encryption:Keys setting — so a copy of the database alone
/// reveals no phone number or e-mail address.
/// </summary>
/// <remarks>
/// Cipher blob: [key version: 1 byte][nonce: 12][tag: 16][ciphertext]. The purpose string is bound as
/// associated data, so a contact cannot be pasted into an address column and decrypt.
/// Rotation adds a version and makes it current; old versions stay to decrypt, and whoever reads a
/// blob under an old version writes it back under the current one (lazy re-encryption).
/// </remarks>
public sealed class KeyRing
{
    private readonly Dictionary<int, byte[]> _keys;
    private readonly byte[] _hmacKey;

    private KeyRing(int current, Dictionary<int, byte[]> keys, byte[] hmacKey)
    {
        if (!keys.ContainsKey(current)) throw new InvalidOperationException($"Key version {current} is missing.");
        if (current is < 1 or > 255) throw new InvalidOperationException("Key versions run from 1 to 255.");
        CurrentVersion = current;
        _keys = keys;
        _hmacKey = hmacKey;
    }

    public int CurrentVersion { get; }

    public static KeyRing CreateNew() =>
        new(1, new() { [1] = RandomNumberGenerator.GetBytes(32) }, RandomNumberGenerator.GetBytes(32));

    public byte[] Encrypt(string plaintext, string purpose)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var blob = new byte[1 + 12 + 16 + plain.Length];
        blob[0] = (byte)CurrentVersion;
        var nonce = blob.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_keys[CurrentVersion], 16);
        gcm.Encrypt(nonce, plain, blob.AsSpan(29), blob.AsSpan(13, 16), Encoding.UTF8.GetBytes(purpose));
        return blob;
    }

    public string Decrypt(byte[] blob, string purpose)
    {
        if (blob.Length < 29 || !_keys.TryGetValue(blob[0], out var key))
            throw new CryptographicException("Unknown key version or truncated cipher text.");
        var plain = new byte[blob.Length - 29];
        using var gcm = new AesGcm(key, 16);
        gcm.Decrypt(blob.AsSpan(1, 12), blob.AsSpan(29), blob.AsSpan(13, 16), plain, Encoding.UTF8.GetBytes(purpose));
        return Encoding.UTF8.GetString(plain);
    }

    public bool IsCurrent(byte[] blob) => blob.Length > 0 && blob[0] == CurrentVersion;

    /// <summary>Keyed hash for look-up and de-duplication; the same input always gives the same hash.</summary>
    public byte[] Hash(string value) => HMACSHA256.HashData(_hmacKey, Encoding.UTF8.GetBytes(value));

    public KeyRing Rotate()
    {
        int next = _keys.Keys.Max() + 1;
        var keys = new Dictionary<int, byte[]>(_keys) { [next] = RandomNumberGenerator.GetBytes(32) };
        return new KeyRing(next, keys, _hmacKey);
    }

    public string ToJson() => new JsonObject
    {
        ["current"] = CurrentVersion,
        ["keys"] = new JsonObject(_keys.Select(k => KeyValuePair.Create(k.Key.ToString(), (JsonNode?)Convert.ToBase64String(k.Value)))),
        ["hmac"] = Convert.ToBase64String(_hmacKey),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public static KeyRing FromJson(string json)
    {
        var node = JsonNode.Parse(json) ?? throw new FormatException("empty key ring");
        var keys = node["keys"]!.AsObject().ToDictionary(k => int.Parse(k.Key), k => Convert.FromBase64String(k.Value!.GetValue<string>()));
        return new KeyRing(node["current"]!.GetValue<int>(), keys, Convert.FromBase64String(node["hmac"]!.GetValue<string>()));
    }

    /// <summary>The ring from the Whistle:Encryption:Keys setting, else from the key file (made on first start).</summary>
    public static KeyRing Load(string? configured, string keyFile)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return FromJson(configured);
        if (File.Exists(keyFile)) return FromJson(File.ReadAllText(keyFile));
        var ring = CreateNew();
        ring.Save(keyFile);
        return ring;
    }

    public void Save(string keyFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
        var tmp = keyFile + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        File.Delete(tmp);
        using (var fs = new FileStream(tmp, create))
        using (var w = new StreamWriter(fs)) w.Write(ToJson());
        File.Move(tmp, keyFile, overwrite: true);
    }
}

/// <summary>Purposes bound into each cipher text.</summary>
public static class Purpose
{
    public const string SubscriberAddress = "subscriber.address";
    public const string SubscriberSecret = "subscriber.secret";
    public const string ReporterContact = "report.contact";
    /// <summary>A witness's name, in an incident file.</summary>
    public const string WitnessName = "witness.name";
    /// <summary>How to reach a witness again.</summary>
    public const string WitnessContact = "witness.contact";
    /// <summary>The names of the people an incident affected (kept only with the family's consent).</summary>
    public const string AffectedNames = "incident.names";
    /// <summary>A witness's statement (issue 13).</summary>
    public const string WitnessText = "witness.text";
    /// <summary>The note on an incident's status (issue 13).</summary>
    public const string IncidentNote = "incident.note";
    /// <summary>What a follow-up of an incident is about (issue 13).</summary>
    public const string FollowUpDescription = "followup.description";
}
