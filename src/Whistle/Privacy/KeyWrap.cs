using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Konscious.Security.Cryptography;

namespace Whistle.Privacy;

/// <summary>
/// The key ring wrapped with a passphrase (keys.wrapped.json): Argon2id (memory-hard: each guess costs
/// <see cref="KdfParameters.MemoryKiB"/> of memory) derives a 256-bit key that seals the ring with AES-256-GCM.
/// The parameters are stored in the file, so they can be raised later without breaking older files; they are
/// bound as associated data, so lowering them in the file does not open it.
/// </summary>
public static class KeyWrap
{
    public const string Format = "whistle-wrapped-keyring/1";

    /// <summary>Argon2id cost: 64 MiB, 3 passes, 2 lanes (about a second on a small server; measured in decision 0027).</summary>
    public sealed record KdfParameters(int MemoryKiB = 64 * 1024, int Iterations = 3, int Parallelism = 2)
    {
        public static readonly KdfParameters Default = new();
    }

    public static bool IsWrapped(string json)
    {
        try { return JsonNode.Parse(json)?["format"]?.GetValue<string>() == Format; }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { return false; }
    }

    public static string Wrap(string ringJson, string passphrase, KdfParameters? kdf = null)
    {
        kdf ??= KdfParameters.Default;
        if (string.IsNullOrEmpty(passphrase)) throw new ArgumentException("An empty passphrase protects nothing.", nameof(passphrase));
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plain = Encoding.UTF8.GetBytes(ringJson);
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        var key = Derive(passphrase, salt, kdf);
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Encrypt(nonce, plain, cipher, tag, Associated(kdf, salt));
        }
        finally { CryptographicOperations.ZeroMemory(key); CryptographicOperations.ZeroMemory(plain); }
        return new JsonObject
        {
            ["format"] = Format,
            ["kdf"] = "argon2id",
            ["memoryKiB"] = kdf.MemoryKiB,
            ["iterations"] = kdf.Iterations,
            ["parallelism"] = kdf.Parallelism,
            ["salt"] = Convert.ToBase64String(salt),
            ["nonce"] = Convert.ToBase64String(nonce),
            ["tag"] = Convert.ToBase64String(tag),
            ["cipher"] = Convert.ToBase64String(cipher),
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The ring's JSON; <see cref="WrongPassphraseException"/> when the passphrase is wrong or the file was altered.</summary>
    public static string Unwrap(string wrappedJson, string passphrase)
    {
        JsonNode node;
        KdfParameters kdf;
        byte[] salt, nonce, tag, cipher;
        try
        {
            node = JsonNode.Parse(wrappedJson) ?? throw new FormatException("empty");
            if (node["format"]?.GetValue<string>() != Format || node["kdf"]?.GetValue<string>() != "argon2id") throw new FormatException("format");
            kdf = new(node["memoryKiB"]!.GetValue<int>(), node["iterations"]!.GetValue<int>(), node["parallelism"]!.GetValue<int>());
            salt = Convert.FromBase64String(node["salt"]!.GetValue<string>());
            nonce = Convert.FromBase64String(node["nonce"]!.GetValue<string>());
            tag = Convert.FromBase64String(node["tag"]!.GetValue<string>());
            cipher = Convert.FromBase64String(node["cipher"]!.GetValue<string>());
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new WrongPassphraseException("The wrapped key file is not readable (damaged or not a Whistle key file).");
        }
        // Bounds so an altered file cannot make start-up allocate terabytes or spin for hours.
        if (kdf.MemoryKiB is < 8 * 1024 or > 4 * 1024 * 1024 || kdf.Iterations is < 1 or > 64 || kdf.Parallelism is < 1 or > 16
            || salt.Length != 16 || nonce.Length != 12 || tag.Length != 16)
            throw new WrongPassphraseException("The wrapped key file has parameters Whistle does not accept (altered or damaged).");
        var key = Derive(passphrase, salt, kdf);
        var plain = new byte[cipher.Length];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(nonce, cipher, tag, plain, Associated(kdf, salt));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new WrongPassphraseException("The passphrase does not open the key ring (wrong passphrase, or the file was altered).");
        }
        finally { CryptographicOperations.ZeroMemory(key); CryptographicOperations.ZeroMemory(plain); }
    }

    private static byte[] Derive(string passphrase, byte[] salt, KdfParameters kdf)
    {
        var pass = Encoding.UTF8.GetBytes(passphrase);
        try
        {
            using var argon = new Argon2id(pass) { Salt = salt, MemorySize = kdf.MemoryKiB, Iterations = kdf.Iterations, DegreeOfParallelism = kdf.Parallelism };
            return argon.GetBytes(32);
        }
        finally { CryptographicOperations.ZeroMemory(pass); }
    }

    private static byte[] Associated(KdfParameters kdf, byte[] salt) =>
        Encoding.UTF8.GetBytes($"{Format}|argon2id|{kdf.MemoryKiB}|{kdf.Iterations}|{kdf.Parallelism}|{Convert.ToBase64String(salt)}");
}

public sealed class WrongPassphraseException(string message) : Exception(message);
