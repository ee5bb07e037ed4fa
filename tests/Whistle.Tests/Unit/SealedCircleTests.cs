using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

/// <summary>
/// The sealed circle's two layouts (issue 16 §3: the binary one is written now for a fast start-up load; the text one
/// of before must still open, to the same circle) and the allocation-free opener the start-up load uses.
/// </summary>
public sealed class SealedCircleTests
{
    private static readonly SealedCircle[] Circles =
    [
        new(44.9632171, -93.2718437, 400), new(-33.8688197, 151.2092955, 250.5), new(0, 0, 1), new(89.9999999, -179.9999999, 50_000),
        new(44.89 + 1e-12, -93.33 - 1e-12, 2_000), new(double.Epsilon, -0.0, 0.1),
    ];

    [Fact]
    public void The_binary_and_the_old_text_layout_open_to_exactly_the_same_circle_by_either_path()
    {
        var keys = KeyRing.CreateNew();
        using var opener = keys.OpenerFor(Purpose.SubscriberArea);
        foreach (var c in Circles)
        {
            foreach (var sealedAs in new[] { c.Seal(keys), c.SealAsText(keys) })
            {
                Assert.Equal(c, SealedCircle.Open(keys, sealedAs));
                Assert.True(SealedCircle.TryOpen(opener, sealedAs, out var fast));
                Assert.Equal(c, fast);
            }
        }
    }

    [Fact]
    public void Every_binary_seal_has_the_same_length_so_the_cipher_text_tells_nothing_of_the_circle()
    {
        var keys = KeyRing.CreateNew();
        Assert.Single(Circles.Select(c => c.Seal(keys).Length).Distinct());
        // The text layout's length varied with the digits of the centre and radius.
        Assert.True(Circles.Select(c => c.SealAsText(keys).Length).Distinct().Count() > 1);
    }

    [Fact]
    public void A_tampered_or_foreign_cipher_does_not_open_and_does_not_throw()
    {
        var keys = KeyRing.CreateNew();
        using var opener = keys.OpenerFor(Purpose.SubscriberArea);
        var good = Circles[0].Seal(keys);
        var tampered = good.ToArray();
        tampered[^1] ^= 1;
        var otherNetwork = Circles[0].Seal(KeyRing.CreateNew());
        var otherPurpose = keys.Encrypt(good.AsSpan(29).ToArray(), Purpose.SubscriberAddress);
        var notACircle = keys.Encrypt("44.9;-93.2", Purpose.SubscriberArea);
        var binaryTooShort = keys.Encrypt(new byte[] { 0x01, 1, 2, 3 }, Purpose.SubscriberArea);
        foreach (var bad in new[] { tampered, otherNetwork, otherPurpose, notACircle, binaryTooShort, Array.Empty<byte>(), new byte[29], good[..28] })
        {
            Assert.False(SealedCircle.TryOpen(opener, bad, out _));
            Assert.Null(SealedCircle.TryOpen(keys, bad));
        }
        Assert.True(SealedCircle.TryOpen(opener, good, out _)); // the opener still works after the failures
    }

    [Fact]
    public void An_opener_made_before_the_keys_were_destroyed_opens_nothing_after()
    {
        var keys = KeyRing.CreateNew();
        var cipher = Circles[0].Seal(keys);
        using var opener = keys.OpenerFor(Purpose.SubscriberArea);
        Assert.True(SealedCircle.TryOpen(opener, cipher, out _)); // its AES context is made and cached
        keys.Destroy();
        Assert.False(SealedCircle.TryOpen(opener, cipher, out _));
        Assert.Throws<KeysDestroyedException>(() => keys.OpenerFor(Purpose.SubscriberArea));
    }
}
