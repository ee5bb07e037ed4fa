using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Whistle.Alerts;
using Whistle.Delivery;
using Whistle.Delivery.Push;
using Whistle.Fakes;
using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

/// <summary>RFC 8291 Appendix A's example, both ways: the fake browser reads it, and Whistle writes it byte for byte.</summary>
public class PushCryptoTests
{
    // RFC 8291 Appendix A (base64url, as printed there).
    private const string Plaintext = "When I grow up, I want to be a watermelon";
    private const string AsPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private const string AsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    private const string UaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    private const string UaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    private const string Salt = "DGv6ra1nlYgDCS1FRnbzlw";
    private const string AuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
    private const string EcdhSecret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
    private const string Ikm = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg";
    private const string Cek = "oIhVW04MRdy2XN9CiKLxTg";
    private const string Nonce = "4h_95klXJ5E_qnoN";
    private const string Body =
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml" +
        "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT" +
        "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    private static byte[] B(string s) => Base64Url.DecodeFromChars(s);

    private static ECDiffieHellman Key(string publicKey, string privateKey)
    {
        var q = B(publicKey);
        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = q[1..33], Y = q[33..] },
            D = B(privateKey),
        });
    }

    [Fact]
    public void The_fake_browser_decrypts_the_RFC_8291_example_through_each_intermediate_value()
    {
        using var ua = Key(UaPublic, UaPrivate);
        var plain = WebPushDecryption.Decrypt(B(Body), ua, B(AuthSecret), out var derived);
        Assert.Equal(Plaintext, Encoding.UTF8.GetString(plain));
        Assert.Equal(EcdhSecret, Base64Url.EncodeToString(derived.EcdhSecret));
        Assert.Equal(Ikm, Base64Url.EncodeToString(derived.Ikm));
        Assert.Equal(Cek, Base64Url.EncodeToString(derived.Cek));
        Assert.Equal(Nonce, Base64Url.EncodeToString(derived.Nonce));
        Assert.Equal(4096, derived.RecordSize);
        Assert.Equal(AsPublic, Base64Url.EncodeToString(derived.SenderPublicKey));
    }

    [Fact]
    public void The_fake_browser_refuses_a_tampered_body_and_another_subscriptions_keys()
    {
        using var ua = Key(UaPublic, UaPrivate);
        var tampered = B(Body);
        tampered[^1] ^= 0x40;
        Assert.ThrowsAny<CryptographicException>(() => WebPushDecryption.Decrypt(tampered, ua, B(AuthSecret)));
        Assert.ThrowsAny<CryptographicException>(() => WebPushDecryption.Decrypt(B(Body), ua, RandomNumberGenerator.GetBytes(16)));
    }

    [Fact]
    public void Whistle_encrypts_the_RFC_8291_example_byte_for_byte()
    {
        using var sender = Key(AsPublic, AsPrivate);
        var body = WebPushEncryption.Encrypt(Encoding.UTF8.GetBytes(Plaintext), B(UaPublic), B(AuthSecret), B(Salt), sender);
        Assert.Equal(Body, Base64Url.EncodeToString(body));
    }

    [Fact]
    public void A_fresh_encryption_is_read_by_the_fake_browser_and_differs_every_time()
    {
        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = ua.ExportParameters(false).Q;
        byte[] uaPublic = [0x04, .. q.X!, .. q.Y!];
        var auth = RandomNumberGenerator.GetBytes(16);
        var text = Encoding.UTF8.GetBytes("Redada en vivienda cerca de Lake St — ñ, 🙂");
        var one = WebPushEncryption.Encrypt(text, uaPublic, auth);
        var two = WebPushEncryption.Encrypt(text, uaPublic, auth);
        Assert.NotEqual(one, two); // a new salt and sender key each time
        Assert.Equal(text, WebPushDecryption.Decrypt(one, ua, auth));
        Assert.Equal(text, WebPushDecryption.Decrypt(two, ua, auth));
    }

    [Fact]
    public void A_long_body_is_shortened_to_fit_one_record_and_still_decrypts()
    {
        var alert = new Alert { Kind = AlertKind.Alert, ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) };
        var text = string.Concat(Enumerable.Repeat("Redada en vivienda cerca de Lake St 🙂 ", 300)); // ~12 KB of UTF-8
        var m = new OutgoingMessage("ref", alert, 1, SubscriberChannel.Webpush, "https://push.example/x", "es", text);
        var payload = WebPushSender.Payload(m, "https://whistle.example.org");
        Assert.InRange(payload.Length, WebPushEncryption.MaxPlaintext - 16, WebPushEncryption.MaxPlaintext); // as much as fits
        var body = JsonDocument.Parse(payload).RootElement.GetProperty("body").GetString()!;
        Assert.EndsWith("…", body);
        Assert.StartsWith(body[..^1].TrimEnd(), text);
        Assert.Equal(3993, WebPushEncryption.MaxPlaintext);

        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = ua.ExportParameters(false).Q;
        var encrypted = WebPushEncryption.Encrypt(payload, [0x04, .. q.X!, .. q.Y!], new byte[16]);
        Assert.True(encrypted.Length <= 4096, $"{encrypted.Length} bytes");
        Assert.Equal(payload, WebPushDecryption.Decrypt(encrypted, ua, new byte[16]));
    }
}
