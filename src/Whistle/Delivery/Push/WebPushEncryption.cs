using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Whistle.Delivery.Push;

/// <summary>
/// Message encryption for web push (RFC 8291) in the aes128gcm content coding (RFC 8188), as one
/// record: only the browser holding the subscription's private key and auth secret can read it, not
/// the push service that carries it.
/// </summary>
internal static class WebPushEncryption
{
    public const int RecordSize = 4096;
    /// <summary>salt (16) + rs (4) + idlen (1) + the sender's public key (65).</summary>
    public const int HeaderSize = 86;
    /// <summary>The most plaintext one record carries: 4096 − header − delimiter − tag (RFC 8291 §4).</summary>
    public const int MaxPlaintext = RecordSize - HeaderSize - 1 - 16;

    private static readonly byte[] KeyInfoPrefix = Encoding.ASCII.GetBytes("WebPush: info\0");
    private static readonly byte[] CekInfo = Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0");
    private static readonly byte[] NonceInfo = Encoding.ASCII.GetBytes("Content-Encoding: nonce\0");

    /// <param name="uaPublic">The subscription's p256dh key: an uncompressed P-256 point.</param>
    /// <param name="authSecret">The subscription's 16-byte auth secret.</param>
    /// <param name="salt">Fixed only by tests; random otherwise.</param>
    /// <param name="sender">Fixed only by tests; otherwise a fresh ephemeral key per message.</param>
    /// <exception cref="CryptographicException">The subscription's keys are not a P-256 point and a 16-byte secret.</exception>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, byte[] uaPublic, byte[] authSecret, byte[]? salt = null, ECDiffieHellman? sender = null)
    {
        if (uaPublic is not { Length: 65 } || uaPublic[0] != 0x04) throw new CryptographicException("p256dh is not an uncompressed P-256 point");
        if (authSecret.Length != 16) throw new CryptographicException("auth is not 16 bytes");
        if (plaintext.Length > MaxPlaintext) throw new ArgumentException($"At most {MaxPlaintext} bytes fit one record.", nameof(plaintext));
        salt ??= RandomNumberGenerator.GetBytes(16);

        using var ephemeral = sender is null ? ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256) : null;
        var asKey = sender ?? ephemeral!;
        var q = asKey.ExportParameters(false).Q;
        byte[] asPublic = [0x04, .. q.X!, .. q.Y!];
        using var ua = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = uaPublic[1..33], Y = uaPublic[33..] },
        });
        var ecdhSecret = asKey.DeriveRawSecretAgreement(ua.PublicKey);

        // IKM = HKDF(auth, ecdh, "WebPush: info" 0x00 ua_public as_public, 32); CEK and NONCE from it and the salt.
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, ecdhSecret, 32, authSecret, [.. KeyInfoPrefix, .. uaPublic, .. asPublic]);
        var cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, CekInfo);
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, NonceInfo);

        var body = new byte[HeaderSize + plaintext.Length + 1 + 16];
        salt.CopyTo(body, 0);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(16, 4), RecordSize);
        body[20] = (byte)asPublic.Length;
        asPublic.CopyTo(body, 21);
        // The last (and only) record: the plaintext, then the 0x02 delimiter, no further padding.
        var record = new byte[plaintext.Length + 1];
        plaintext.CopyTo(record);
        record[^1] = 0x02;
        using var gcm = new AesGcm(cek, 16);
        gcm.Encrypt(nonce, record, body.AsSpan(HeaderSize, record.Length), body.AsSpan(HeaderSize + record.Length, 16));
        return body;
    }
}
