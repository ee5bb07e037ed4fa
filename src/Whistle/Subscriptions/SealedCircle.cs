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
public readonly record struct SealedCircle(double Lat, double Lon, double RadiusMeters)
{
    public byte[] Seal(KeyRing keys) => keys.Encrypt(
        string.Create(CultureInfo.InvariantCulture, $"{Lat:R};{Lon:R};{RadiusMeters:R}"), Purpose.SubscriberArea);

    public static SealedCircle? Of(double? lat, double? lon, double? radius) =>
        lat is { } la && lon is { } lo && radius is { } r ? new SealedCircle(la, lo, r) : null;

    /// <summary>The circle in a cipher text (throws when the keys cannot open it: destroyed, or another network's).</summary>
    public static SealedCircle Open(KeyRing keys, byte[] cipher)
    {
        var parts = keys.Decrypt(cipher, Purpose.SubscriberArea).Split(';');
        if (parts.Length != 3) throw new FormatException("Not a sealed circle.");
        static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        return new SealedCircle(D(parts[0]), D(parts[1]), D(parts[2]));
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
