using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Privacy;

namespace Whistle.Subscriptions;

/// <summary>
/// A subscriber's circle (centre and radius), which is usually "around home": stored only as an
/// AES-GCM cipher text under <see cref="Purpose.SubscriberArea"/>, never in the clear — not in the
/// subscriber row, not in a pending change. Zone memberships stay in the clear (they are coarse).
/// </summary>
/// <remarks>
/// Two plain-text layouts inside the seal. Written now: <see cref="Binary"/> (one byte 0x01, then latitude,
/// longitude and radius as little-endian IEEE doubles — 25 bytes, the same length for every circle, parsed without
/// any work at the start-up load of a million). Written before issue 16: the text "lat;lon;radius" (invariant
/// culture, round-trip), which never starts with 0x01; both are read, exactly (decision 0051).
/// </remarks>
public readonly record struct SealedCircle(double Lat, double Lon, double RadiusMeters)
{
    private const byte Binary = 0x01;
    private const int BinaryLength = 25;

    public byte[] Seal(KeyRing keys)
    {
        Span<byte> plain = stackalloc byte[BinaryLength];
        plain[0] = Binary;
        BinaryPrimitives.WriteDoubleLittleEndian(plain[1..], Lat);
        BinaryPrimitives.WriteDoubleLittleEndian(plain[9..], Lon);
        BinaryPrimitives.WriteDoubleLittleEndian(plain[17..], RadiusMeters);
        return keys.Encrypt(plain, Purpose.SubscriberArea);
    }

    /// <summary>The layout written before issue 16 (text); kept to show old rows still load (tests, bench).</summary>
    public byte[] SealAsText(KeyRing keys) => keys.Encrypt(
        string.Create(CultureInfo.InvariantCulture, $"{Lat:R};{Lon:R};{RadiusMeters:R}"), Purpose.SubscriberArea);

    public static SealedCircle? Of(double? lat, double? lon, double? radius) =>
        lat is { } la && lon is { } lo && radius is { } r ? new SealedCircle(la, lo, r) : null;

    /// <summary>The circle in a cipher text (throws when the keys cannot open it: destroyed, or another network's).</summary>
    public static SealedCircle Open(KeyRing keys, byte[] cipher)
    {
        var plain = keys.DecryptBytes(cipher, Purpose.SubscriberArea);
        return TryParse(plain, out var circle) ? circle : throw new FormatException("Not a sealed circle.");
    }

    /// <summary>
    /// The circle in a cipher text through an <see cref="KeyRing.Opener"/> for <see cref="Purpose.SubscriberArea"/>,
    /// without allocating (the targeting index's start-up load); false when it cannot be opened or is not a circle.
    /// </summary>
    public static bool TryOpen(KeyRing.Opener opener, ReadOnlySpan<byte> cipher, out SealedCircle circle)
    {
        Span<byte> plain = stackalloc byte[MaxPlainBytes];
        circle = default;
        return opener.TryDecrypt(cipher, plain, out int n) && TryParse(plain[..n], out circle);
    }

    private const int MaxPlainBytes = 128;

    /// <summary>Either layout: binary (0x01 and three doubles) or the older text "lat;lon;radius".</summary>
    private static bool TryParse(ReadOnlySpan<byte> plain, out SealedCircle circle)
    {
        circle = default;
        if (plain.Length > 0 && plain[0] == Binary)
        {
            if (plain.Length != BinaryLength) return false;
            circle = new SealedCircle(BinaryPrimitives.ReadDoubleLittleEndian(plain[1..]), BinaryPrimitives.ReadDoubleLittleEndian(plain[9..]),
                BinaryPrimitives.ReadDoubleLittleEndian(plain[17..]));
            return true;
        }
        int a = plain.IndexOf((byte)';');
        if (a < 0) return false;
        var rest = plain[(a + 1)..];
        int b = rest.IndexOf((byte)';');
        if (b < 0 || rest[(b + 1)..].Contains((byte)';')) return false;
        if (!D(plain[..a], out var lat) || !D(rest[..b], out var lon) || !D(rest[(b + 1)..], out var r)) return false;
        circle = new SealedCircle(lat, lon, r);
        return true;

        static bool D(ReadOnlySpan<byte> s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v);
    }

    public static SealedCircle? TryOpen(KeyRing keys, byte[]? cipher)
    {
        if (cipher is null) return null;
        try { return Open(keys, cipher); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; }
    }

    /// <summary>
    /// Databases from before circles were sealed: every circle still in the clear columns (or in a
    /// pending change's JSON) is encrypted into <see cref="Subscriber.AreaCipher"/> and the clear
    /// values are nulled, in batches, at start-up before the targeting index loads. Returns how many
    /// subscribers were changed. (With SQLite's secure_delete the old values are zeroed on the page.)
    /// </summary>
    public static async Task<int> SealLegacyAsync(WhistleDb db, KeyRing keys, CancellationToken ct = default)
    {
        int changed = 0;
        while (true)
        {
            var batch = await db.Subscribers
                .Where(s => s.CircleLat != null || s.CircleLon != null || s.CircleRadiusMeters != null
                            || (s.Pending != null && s.Pending.Contains("\"Lat\":") && !s.Pending.Contains("\"Lat\":null")))
                .OrderBy(s => s.Id).Take(1000).ToListAsync(ct);
            if (batch.Count == 0) break;
            foreach (var s in batch)
            {
                try
                {
                    if (Of(s.CircleLat, s.CircleLon, s.CircleRadiusMeters) is { } c) s.AreaCipher = c.Seal(keys);
                    if (s.Pending is { } pending && JsonSerializer.Deserialize<SubscriberPrefs>(pending) is { } prefs)
                        s.Pending = JsonSerializer.Serialize(prefs.Sealed(keys));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The keys cannot encrypt (destroyed in a panic): the clear circle is dropped, not kept.
                    s.Pending = null;
                }
                s.CircleLat = s.CircleLon = s.CircleRadiusMeters = null;
            }
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            changed += batch.Count;
        }
        return changed;
    }
}
