using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Whistle.Data;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Privacy;

/// <summary>
/// What a reporter wrote and where they stood never reach the database in clear (issue 13 §1): a report's exact
/// position, text and place text, and the place text a sighting or surge copied from its first report, are sealed
/// with the key ring (AES-GCM, one purpose each) when saved and opened when read. One seam for every reader and
/// writer — the web form, SMS, surges, placement, exports, the demo seed — so none can forget.
/// What stays in clear is what SQL must query: the intake cell, times, activity, counts, and the sighting's own
/// position (new reports are matched to it); retention coarsens and deletes those (<see cref="RetentionRules"/>).
/// A cipher that cannot be opened (keys destroyed, or tampered with) reads as nothing and is never overwritten.
/// </summary>
public sealed class ReportSealing : ISaveChangesInterceptor, IMaterializationInterceptor
{
    /// <summary>One instance for every context of every host in the process: EF builds one internal service provider per
    /// distinct set of interceptors, so a per-host instance would make one per host. The key ring comes from the context's
    /// application services.</summary>
    public static readonly ReportSealing Instance = new();

    private ReportSealing() { }

    public const string PositionPurpose = "report.position", TextPurpose = "report.text", PlacePurpose = "report.place",
        SightingPlacePurpose = "sighting.place", SightingPositionPurpose = "sighting.position", SurgePlacePurpose = "surge.place";

    /// <summary>Shadow properties on the columns of the old, clear shape (kept nullable, emptied by <see cref="SealLegacyAsync"/>).</summary>
    public const string LegacyLat = "LegacyLat", LegacyLon = "LegacyLon", LegacyText = "LegacyText", LegacyPlace = "LegacyPlaceText";

    private sealed record Opened(double? Lat, double? Lon, string? Text, string? Place, bool Unreadable = false);

    // What each instance held when last opened or sealed: an unchanged instance is not sealed again.
    private readonly ConditionalWeakTable<object, Opened> _opened = new();

    private static KeyRing KeysOf(DbContext db) => db.GetService<KeyRing>();

    public object InitializedInstance(MaterializationInterceptionData data, object entity)
    {
        if (entity is not (Report or Sighting or Surge)) return entity;
        var Keys = KeysOf(data.Context);
        try
        {
            switch (entity)
            {
                case Report r:
                    (r.Lat, r.Lon) = r.PositionCipher is { } pc ? DecodePosition(Keys.Decrypt(pc, PositionPurpose)) : (null, null);
                    r.Text = r.TextCipher is { } tc ? Keys.Decrypt(tc, TextPurpose) : null;
                    r.PlaceText = r.PlaceCipher is { } plc ? Keys.Decrypt(plc, PlacePurpose) : null;
                    _opened.AddOrUpdate(r, new(r.Lat, r.Lon, r.Text, r.PlaceText));
                    break;
                case Sighting s:
                    s.PlaceText = s.PlaceCipher is { } sc ? Keys.Decrypt(sc, SightingPlacePurpose) : null;
                    (s.Lat, s.Lon) = s.PositionCipher is { } sp ? DecodePosition(Keys.Decrypt(sp, SightingPositionPurpose)) : (null, null);
                    _opened.AddOrUpdate(s, new(s.Lat, s.Lon, null, s.PlaceText));
                    break;
                case Surge g:
                    g.PlaceText = g.PlaceCipher is { } gc ? Keys.Decrypt(gc, SurgePlacePurpose) : null;
                    _opened.AddOrUpdate(g, new(null, null, null, g.PlaceText));
                    break;
            }
        }
        catch (Exception)
        {
            // Keys destroyed or a cipher altered: nothing is shown, and the cipher is left as it is.
            if (entity is Report r) (r.Lat, r.Lon, r.Text, r.PlaceText) = (null, null, null, null);
            if (entity is Sighting s) (s.Lat, s.Lon, s.PlaceText) = (null, null, null);
            if (entity is Surge g) g.PlaceText = null;
            _opened.AddOrUpdate(entity, new(null, null, null, null, Unreadable: true));
        }
        return entity;
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } db) SealAll(db);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } db) SealAll(db);
        return ValueTask.FromResult(result);
    }

    private void SealAll(DbContext db)
    {
        KeyRing? keys = null;
        var tracker = db.ChangeTracker;
        bool auto = tracker.AutoDetectChangesEnabled;
        // Listing entries without a full detect-changes pass (SaveChanges does that pass right after).
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            foreach (var entry in tracker.Entries())
            {
                if (entry.State is EntityState.Deleted or EntityState.Detached) continue;
                if (entry.Entity is Report or Sighting or Surge && Seal(entry.Entity, keys ??= KeysOf(db)) && entry.State != EntityState.Added)
                    entry.DetectChanges();
            }
        }
        finally { tracker.AutoDetectChangesEnabled = auto; }
    }

    /// <summary>Seals what changed since the instance was opened; true when a cipher was rewritten.</summary>
    private bool Seal(object entity, KeyRing Keys)
    {
        var was = _opened.TryGetValue(entity, out var o) ? o : null;
        switch (entity)
        {
            case Report r:
                var now = new Opened(r.Lat, r.Lon, r.Text, r.PlaceText);
                if (was is { Unreadable: true } && now == new Opened(null, null, null, null)) return false;
                if (was == now) return false;
                r.PositionCipher = r.Lat is { } lat && r.Lon is { } lon ? Keys.Encrypt(EncodePosition(lat, lon), PositionPurpose) : null;
                r.TextCipher = r.Text is { } t ? Keys.Encrypt(t, TextPurpose) : null;
                r.PlaceCipher = r.PlaceText is { } p ? Keys.Encrypt(p, PlacePurpose) : null;
                _opened.AddOrUpdate(r, now);
                return true;
            case Sighting s:
            {
                var seen = new Opened(s.Lat, s.Lon, null, s.PlaceText);
                if (was is { Unreadable: true } && seen == new Opened(null, null, null, null)) return false;
                if (was == seen || (was is null && seen == new Opened(null, null, null, null))) return false;
                s.PositionCipher = s.Lat is { } slat && s.Lon is { } slon ? Keys.Encrypt(EncodePosition(slat, slon), SightingPositionPurpose) : null;
                s.PlaceCipher = s.PlaceText is { } splace ? Keys.Encrypt(splace, SightingPlacePurpose) : null;
                _opened.AddOrUpdate(s, seen);
                return true;
            }
            case Surge g:
                return SealPlace(g, was, g.PlaceText, SurgePlacePurpose, c => g.PlaceCipher = c, Keys);
        }
        return false;
    }

    private bool SealPlace(object entity, Opened? was, string? place, string purpose, Action<byte[]?> set, KeyRing Keys)
    {
        if (was is { Unreadable: true } && place is null) return false;
        if (was is not null && !was.Unreadable && was.Place == place) return false;
        if (was is null && place is null) return false;
        set(place is null ? null : Keys.Encrypt(place, purpose));
        _opened.AddOrUpdate(entity, new(null, null, null, place));
        return true;
    }

    public static string EncodePosition(double lat, double lon) =>
        lat.ToString("R", CultureInfo.InvariantCulture) + "," + lon.ToString("R", CultureInfo.InvariantCulture);

    // Open sightings' positions as last opened, by id, with the cipher they were opened from (issue 16: clustering reads
    // every open sighting in its window for each report; a position is now decrypted once per seal, not once per report).
    // Only the latest call's candidates are kept, so it holds no more than an opened candidate list does, in memory only.
    private static Dictionary<Guid, (byte[] Cipher, double? Lat, double? Lon)> _positions = [];

    /// <summary>
    /// The positions of sightings read without their entities (<paramref name="rows"/>: id and position cipher), opened
    /// as the materializer would open them: a cipher seen before is not decrypted again; one that cannot be opened
    /// gives no position (such a sighting is joined by no report, as when it is materialized unreadable).
    /// </summary>
    public static (double? Lat, double? Lon)[] OpenSightingPositions(DbContext db, IReadOnlyList<(Guid Id, byte[]? Cipher)> rows)
    {
        var known = Volatile.Read(ref _positions);
        var next = new Dictionary<Guid, (byte[] Cipher, double? Lat, double? Lon)>(rows.Count);
        var result = new (double? Lat, double? Lon)[rows.Count];
        KeyRing? keys = null;
        for (int i = 0; i < rows.Count; i++)
        {
            var (id, cipher) = rows[i];
            if (cipher is null) continue;
            if (known.TryGetValue(id, out var hit) && hit.Cipher.AsSpan().SequenceEqual(cipher))
                result[i] = (hit.Lat, hit.Lon);
            else
            {
                try { result[i] = DecodePosition((keys ??= KeysOf(db)).Decrypt(cipher, SightingPositionPurpose)); }
                catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException or InvalidOperationException)
                {
                    result[i] = (null, null);
                }
            }
            next[id] = (cipher, result[i].Lat, result[i].Lon);
        }
        Volatile.Write(ref _positions, next);
        return result;
    }

    public static (double? Lat, double? Lon) DecodePosition(string text)
    {
        var parts = text.Split(',');
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A database from before issue 13 holds reports' positions, texts and place texts in clear: each is sealed and its
    /// clear columns emptied, in batches. Run at start-up and by every housekeeping pass (a no-op once done).
    /// </summary>
    public static async Task<int> SealLegacyAsync(WhistleDb db, CancellationToken ct = default, int batch = 500)
    {
        int sealedRows = 0;
        while (true)
        {
            var reports = await db.Reports
                .Where(r => EF.Property<double?>(r, LegacyLat) != null || EF.Property<double?>(r, LegacyLon) != null
                            || EF.Property<string?>(r, LegacyText) != null || EF.Property<string?>(r, LegacyPlace) != null)
                .OrderBy(r => r.Id).Take(batch).ToListAsync(ct);
            foreach (var r in reports)
            {
                var e = db.Entry(r);
                r.Lat ??= Take<double?>(e, LegacyLat);
                r.Lon ??= Take<double?>(e, LegacyLon);
                r.Text ??= Take<string?>(e, LegacyText);
                r.PlaceText ??= Take<string?>(e, LegacyPlace);
                if (r.Lat is null || r.Lon is null) (r.Lat, r.Lon) = (null, null);
            }
            var sightings = await db.Sightings.Where(s => EF.Property<string?>(s, LegacyPlace) != null
                    || EF.Property<double?>(s, LegacyLat) != null || EF.Property<double?>(s, LegacyLon) != null)
                .OrderBy(s => s.Id).Take(batch).ToListAsync(ct);
            foreach (var s in sightings)
            {
                var e = db.Entry(s);
                s.PlaceText ??= Take<string?>(e, LegacyPlace);
                s.Lat ??= Take<double?>(e, LegacyLat);
                s.Lon ??= Take<double?>(e, LegacyLon);
                if (s.Lat is null || s.Lon is null) (s.Lat, s.Lon) = (null, null);
            }
            var surges = await db.Surges.Where(s => EF.Property<string?>(s, LegacyPlace) != null).OrderBy(s => s.Id).Take(batch).ToListAsync(ct);
            foreach (var g in surges) g.PlaceText ??= Take<string?>(db.Entry(g), LegacyPlace);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            sealedRows += reports.Count + sightings.Count + surges.Count;
            if (reports.Count < batch && sightings.Count < batch && surges.Count < batch) return sealedRows;
        }
    }

    private static T Take<T>(EntityEntry e, string name)
    {
        var p = e.Property(name);
        var value = (T)p.CurrentValue!;
        p.CurrentValue = null;
        return value;
    }
}
