using System.Collections.Concurrent;
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
    private volatile bool _destroyed;

    private KeyRing(int current, Dictionary<int, byte[]> keys, byte[] hmacKey)
    {
        if (!keys.ContainsKey(current)) throw new InvalidOperationException($"Key version {current} is missing.");
        if (current is < 1 or > 255) throw new InvalidOperationException("Key versions run from 1 to 255.");
        CurrentVersion = current;
        _keys = keys;
        _hmacKey = hmacKey;
    }

    public int CurrentVersion { get; }

    /// <summary>True once <see cref="Destroy"/> ran (or the data dir carries the keys.destroyed marker): every keyed operation throws.</summary>
    public bool IsDestroyed => _destroyed;

    /// <summary>A ring whose keys were destroyed before this process started (the keys.destroyed marker).</summary>
    public static KeyRing Destroyed()
    {
        var ring = new KeyRing(1, new() { [1] = new byte[32] }, new byte[32]);
        ring._destroyed = true;
        return ring;
    }

    /// <summary>Crypto-shredding in memory: every key is overwritten with zeros and every keyed operation from now on throws.</summary>
    public void Destroy()
    {
        _destroyed = true;
        foreach (var key in _keys.Values) CryptographicOperations.ZeroMemory(key);
        CryptographicOperations.ZeroMemory(_hmacKey);
        lock (_custodyLock) if (_custody is not null) CryptographicOperations.ZeroMemory(_custody);
        DrainContexts();
    }

    // Cipher and MAC contexts made once and reused (issue 16 §3: making one per call — OpenSSL fetching the algorithm each
    // time — cost a noticeable share of each report's CPU). Each is used by one caller at a time (taken from the pool,
    // put back after); Destroy disposes those in the pools, and one put back after Destroy is disposed then.
    private const int MaxPooled = 32;
    private readonly ConcurrentQueue<HMACSHA256> _macs = new();
    private readonly ConcurrentDictionary<int, ConcurrentQueue<AesGcm>> _ciphers = new();

    private ConcurrentQueue<AesGcm> CiphersOf(int version) => _ciphers.GetOrAdd(version, static _ => new());

    private void Return<T>(ConcurrentQueue<T> pool, T context) where T : IDisposable
    {
        if (_destroyed || pool.Count >= MaxPooled) context.Dispose();
        else
        {
            pool.Enqueue(context);
            if (_destroyed) DrainContexts();
        }
    }

    private void DrainContexts()
    {
        while (_macs.TryDequeue(out var mac)) mac.Dispose();
        foreach (var pool in _ciphers.Values)
            while (pool.TryDequeue(out var gcm)) gcm.Dispose();
    }

    private void Alive()
    {
        if (_destroyed) throw new KeysDestroyedException();
    }

    public static KeyRing CreateNew() =>
        new(1, new() { [1] = RandomNumberGenerator.GetBytes(32) }, RandomNumberGenerator.GetBytes(32)) { _custody = NewCustodyKey() };

    /// <summary>The custody signing key (ECDSA P-256, PKCS#8), key ring field "custody"; null in a ring made before it existed.</summary>
    private byte[]? _custody;
    private readonly Lock _custodyLock = new();

    private static byte[] NewCustodyKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKey();
    }

    /// <summary>
    /// The key that signs custody chain heads (decision 0031). A ring without one gets one now, saved to
    /// <paramref name="saveTo"/> when given (the key file); a ring from a setting must carry "custody" itself.
    /// </summary>
    public ECDsa CustodyKey(string? saveTo = null)
    {
        Alive();
        lock (_custodyLock)
        {
            if (_custody is null)
            {
                _custody = NewCustodyKey();
                if (saveTo is not null) Save(saveTo);
            }
        }
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(_custody, out _);
        return key;
    }

    public bool HasCustodyKey => _custody is not null;

    public byte[] Encrypt(string plaintext, string purpose) => Encrypt(Encoding.UTF8.GetBytes(plaintext), purpose);

    public byte[] Encrypt(ReadOnlySpan<byte> plain, string purpose)
    {
        Alive();
        var blob = new byte[1 + 12 + 16 + plain.Length];
        blob[0] = (byte)CurrentVersion;
        var nonce = blob.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        var pool = CiphersOf(CurrentVersion);
        var gcm = pool.TryDequeue(out var pooled) ? pooled : new AesGcm(_keys[CurrentVersion], 16);
        try { gcm.Encrypt(nonce, plain, blob.AsSpan(29), blob.AsSpan(13, 16), Encoding.UTF8.GetBytes(purpose)); }
        finally { Return(pool, gcm); }
        Alive(); // destroyed while encrypting: nothing sealed with a shredded key is handed out
        return blob;
    }

    public string Decrypt(byte[] blob, string purpose) => Encoding.UTF8.GetString(DecryptBytes(blob, purpose));

    public byte[] DecryptBytes(byte[] blob, string purpose)
    {
        Alive();
        if (blob.Length < 29 || !_keys.TryGetValue(blob[0], out var key))
            throw new CryptographicException("Unknown key version or truncated cipher text.");
        var plain = new byte[blob.Length - 29];
        var pool = CiphersOf(blob[0]);
        var gcm = pool.TryDequeue(out var pooled) ? pooled : new AesGcm(key, 16);
        try { gcm.Decrypt(blob.AsSpan(1, 12), blob.AsSpan(29), blob.AsSpan(13, 16), plain, Encoding.UTF8.GetBytes(purpose)); }
        finally { Return(pool, gcm); }
        Alive();
        return plain;
    }

    /// <summary>
    /// Opens many cipher texts of one purpose without allocating for each: one AES-GCM context per key version,
    /// made once (the start-up load of the targeting index opens a million circles). Not thread-safe — one per
    /// thread. Every call checks the ring is not destroyed, so a cached context never outlives <see cref="Destroy"/>.
    /// </summary>
    public Opener OpenerFor(string purpose)
    {
        Alive();
        return new Opener(this, Encoding.UTF8.GetBytes(purpose));
    }

    public sealed class Opener : IDisposable
    {
        private readonly KeyRing _ring;
        private readonly byte[] _purpose;
        private readonly AesGcm?[] _byVersion = new AesGcm?[256];

        internal Opener(KeyRing ring, byte[] purpose) => (_ring, _purpose) = (ring, purpose);

        /// <summary>The plain text of <paramref name="blob"/> into <paramref name="plain"/>; false when it cannot be opened (wrong purpose or key, damaged, too long for the buffer, keys destroyed).</summary>
        public bool TryDecrypt(ReadOnlySpan<byte> blob, Span<byte> plain, out int written)
        {
            written = 0;
            if (_ring._destroyed || blob.Length < 29 || blob.Length - 29 > plain.Length) return false;
            var gcm = _byVersion[blob[0]];
            if (gcm is null)
            {
                if (!_ring._keys.TryGetValue(blob[0], out var key)) return false;
                _byVersion[blob[0]] = gcm = new AesGcm(key, 16);
            }
            written = blob.Length - 29;
            try
            {
                gcm.Decrypt(blob.Slice(1, 12), blob[29..], blob.Slice(13, 16), plain[..written], _purpose);
                return !_ring._destroyed;
            }
            catch (CryptographicException)
            {
                written = 0;
                return false;
            }
        }

        public void Dispose()
        {
            foreach (var gcm in _byVersion) gcm?.Dispose();
        }
    }

    public bool IsCurrent(byte[] blob) => blob.Length > 0 && blob[0] == CurrentVersion;

    /// <summary>Keyed hash for look-up and de-duplication; the same input always gives the same hash.</summary>
    public byte[] Hash(string value)
    {
        Alive();
        var mac = _macs.TryDequeue(out var pooled) ? pooled : new HMACSHA256(_hmacKey);
        byte[] hash;
        try { hash = mac.ComputeHash(Encoding.UTF8.GetBytes(value)); }
        finally { Return(_macs, mac); }
        Alive();
        return hash;
    }

    public KeyRing Rotate()
    {
        Alive();
        int next = _keys.Keys.Max() + 1;
        var keys = new Dictionary<int, byte[]>(_keys) { [next] = RandomNumberGenerator.GetBytes(32) };
        return new KeyRing(next, keys, _hmacKey) { _custody = _custody };
    }

    public string ToJson() => _destroyed ? throw new KeysDestroyedException() : new JsonObject
    {
        ["current"] = CurrentVersion,
        ["keys"] = new JsonObject(_keys.Select(k => KeyValuePair.Create(k.Key.ToString(), (JsonNode?)Convert.ToBase64String(k.Value)))),
        ["hmac"] = Convert.ToBase64String(_hmacKey),
        ["custody"] = _custody is null ? null : Convert.ToBase64String(_custody),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public static KeyRing FromJson(string json)
    {
        var node = JsonNode.Parse(json) ?? throw new FormatException("empty key ring");
        var keys = node["keys"]!.AsObject().ToDictionary(k => int.Parse(k.Key), k => Convert.FromBase64String(k.Value!.GetValue<string>()));
        return new KeyRing(node["current"]!.GetValue<int>(), keys, Convert.FromBase64String(node["hmac"]!.GetValue<string>()))
        {
            _custody = node["custody"]?.GetValue<string>() is { } custody ? Convert.FromBase64String(custody) : null,
        };
    }

    /// <summary>The ring from the Whistle:Encryption:Keys setting, else from a plain key file (made on first start). The server uses <see cref="KeyStore.Load"/>.</summary>
    public static KeyRing Load(string? configured, string keyFile)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return FromJson(configured);
        if (File.Exists(keyFile)) return FromJson(File.ReadAllText(keyFile));
        var ring = CreateNew();
        ring.Save(keyFile);
        return ring;
    }

    /// <summary>Writes the plain ring to a 0600 file (atomically: a temporary file, then a rename).</summary>
    public void Save(string keyFile) => KeyStore.WritePrivate(keyFile, ToJson());
}

/// <summary>The key ring was destroyed (`keys destroy`): what needs it answers 503 /problems/keys-destroyed.</summary>
public sealed class KeysDestroyedException() : InvalidOperationException(
    "The encryption keys of this network were destroyed. What needs them is unavailable until an administrator runs `keys new --after-destroy` or `keys restore`.");

/// <summary>Purposes bound into each cipher text.</summary>
public static class Purpose
{
    public const string SubscriberAddress = "subscriber.address";
    public const string SubscriberSecret = "subscriber.secret";
    /// <summary>A subscriber's circle: centre and radius (<see cref="Subscriptions.SealedCircle"/>).</summary>
    public const string SubscriberArea = "subscriber.area";
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
    /// <summary>What a bystander wrote with a submission: what, where (issue 15).</summary>
    public const string SubmissionText = "submission.text";
    /// <summary>How to reach a bystander who sent evidence (issue 15).</summary>
    public const string SubmitterContact = "submission.contact";
}
