using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Whistle.Fakes;

/// <summary>
/// The browser's side of RFC 8291 (aes128gcm, RFC 8188): what a user agent does with a push message
/// body, written from the RFCs and independently of Whistle's encryption.
/// </summary>
public static class WebPushDecryption
{
    /// <summary>The keys a body was encrypted under, for checking each step against the RFC's example.</summary>
    public sealed record Derived(byte[] EcdhSecret, byte[] Ikm, byte[] Cek, byte[] Nonce, int RecordSize, byte[] SenderPublicKey);

    /// <param name="uaKey">The subscription's private key (with its public point).</param>
    /// <param name="authSecret">The subscription's 16-byte auth secret.</param>
    /// <exception cref="CryptographicException">The body is malformed or does not decrypt under these keys.</exception>
    public static byte[] Decrypt(byte[] body, ECDiffieHellman uaKey, byte[] authSecret) => Decrypt(body, uaKey, authSecret, out _);

    public static byte[] Decrypt(byte[] body, ECDiffieHellman uaKey, byte[] authSecret, out Derived derived)
    {
        // Header: salt (16) | rs (uint32, network order) | idlen (1) | keyid (idlen: the sender's public key).
        if (body.Length < 21) throw new CryptographicException("aes128gcm body shorter than its header");
        var salt = body[..16];
        int rs = checked((int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4)));
        int idlen = body[20];
        if (idlen != 65 || body.Length < 21 + idlen) throw new CryptographicException("keyid is not an uncompressed P-256 point");
        if (rs < 18) throw new CryptographicException("record size below 18");
        var asPublic = body[21..(21 + idlen)];
        if (asPublic[0] != 0x04) throw new CryptographicException("keyid is not an uncompressed P-256 point");

        var ua = uaKey.ExportParameters(false);
        byte[] uaPublic = [0x04, .. ua.Q.X!, .. ua.Q.Y!];
        using var sender = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = asPublic[1..33], Y = asPublic[33..65] },
        });
        var ecdh = uaKey.DeriveRawSecretAgreement(sender.PublicKey);

        // RFC 8291 §3.3-3.4: PRK_key = HMAC(auth, ecdh); IKM = HMAC(PRK_key, key_info || 0x01).
        var keyInfo = Concat(Encoding.ASCII.GetBytes("WebPush: info"), [0x00], uaPublic, asPublic);
        var prkKey = HMACSHA256.HashData(authSecret, ecdh);
        var ikm = HMACSHA256.HashData(prkKey, Concat(keyInfo, [0x01]));
        // RFC 8188 §2.2-2.3: PRK = HMAC(salt, IKM); CEK and NONCE are the first bytes of HMAC(PRK, info || 0x01).
        var prk = HMACSHA256.HashData(salt, ikm);
        var cek = HMACSHA256.HashData(prk, Concat(Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm"), [0x00, 0x01]))[..16];
        var nonce = HMACSHA256.HashData(prk, Concat(Encoding.ASCII.GetBytes("Content-Encoding: nonce"), [0x00, 0x01]))[..12];
        derived = new Derived(ecdh, ikm, cek, nonce, rs, asPublic);

        var records = body.AsSpan(21 + idlen);
        var plain = new List<byte>();
        using var gcm = new AesGcm(cek, 16);
        for (ulong seq = 0; ; seq++)
        {
            int len = Math.Min(rs, records.Length);
            if (len < 17) throw new CryptographicException("truncated record");
            var record = records[..len];
            records = records[len..];
            bool last = records.IsEmpty;
            // The nonce for record SEQ is NONCE XOR SEQ (as a 96-bit big-endian integer).
            var iv = (byte[])nonce.Clone();
            for (int i = 0; i < 8; i++) iv[11 - i] ^= (byte)(seq >> (8 * i));
            var output = new byte[len - 16];
            gcm.Decrypt(iv, record[..^16], record[^16..], output);
            // Strip the padding: zeros after a delimiter, 0x02 on the last record, 0x01 on the others.
            int end = output.Length - 1;
            while (end >= 0 && output[end] == 0) end--;
            if (end < 0 || output[end] != (last ? 0x02 : 0x01)) throw new CryptographicException("bad padding delimiter");
            plain.AddRange(output[..end]);
            if (last) return plain.ToArray();
        }
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
