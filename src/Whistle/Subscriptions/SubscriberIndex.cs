using Whistle.Alerts;
using Whistle.Geo;

namespace Whistle.Subscriptions;

/// <summary>One confirmed subscriber's area, as the targeting index holds it.</summary>
public readonly record struct SubscriberArea(long Id, double? Lat, double? Lon, double? RadiusMeters, int[] Zones);

/// <summary>A recipient of an alert and how far they are from where it happened.</summary>
public readonly record struct Recipient(long SubscriberId, double DistanceMeters);

/// <summary>
/// The in-memory spatial index of confirmed subscribers that alert targeting runs on: a uniform
/// grid (~1 km cells) of circle centres plus a zone → subscribers map. Resolving an alert over
/// a million subscribers touches only the cells and zones the area reaches.
/// It is a cache of the database: <see cref="SubscriberIndexSync"/> keeps it current.
/// </summary>
public sealed class SubscriberIndex
{
    private const double CellDegrees = 0.01;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, int> _slotById = [];
    private readonly Dictionary<long, List<int>> _cells = [];
    private readonly Dictionary<int, HashSet<int>> _zones = [];
    private readonly Stack<int> _free = new();
    private long[] _ids = new long[1024];
    private double[] _lat = new double[1024];
    private double[] _lon = new double[1024];
    private double[] _radius = new double[1024];
    private int[][] _subZones = new int[1024][];
    private int[] _seen = new int[1024];
    private int _generation;
    private int _slots;
    private double _maxRadius;

    public int Count { get { lock (_gate) return _slotById.Count; } }

    public void Upsert(SubscriberArea s)
    {
        lock (_gate)
        {
            RemoveLocked(s.Id);
            int slot = _free.Count > 0 ? _free.Pop() : _slots++;
            EnsureCapacity(_slots);
            _ids[slot] = s.Id;
            _subZones[slot] = s.Zones;
            bool hasCircle = s.Lat is not null && s.Lon is not null && s.RadiusMeters is > 0;
            _lat[slot] = hasCircle ? s.Lat!.Value : double.NaN;
            _lon[slot] = hasCircle ? s.Lon!.Value : double.NaN;
            _radius[slot] = hasCircle ? s.RadiusMeters!.Value : 0;
            if (hasCircle)
            {
                var key = CellKey(CellOf(_lat[slot]), CellOf(_lon[slot]));
                if (!_cells.TryGetValue(key, out var list)) _cells[key] = list = [];
                list.Add(slot);
                _maxRadius = Math.Max(_maxRadius, _radius[slot]);
            }
            foreach (var z in s.Zones)
            {
                if (!_zones.TryGetValue(z, out var set)) _zones[z] = set = [];
                set.Add(slot);
            }
            _slotById[s.Id] = slot;
        }
    }

    public void Remove(long id)
    {
        lock (_gate) RemoveLocked(id);
    }

    private void RemoveLocked(long id)
    {
        if (!_slotById.Remove(id, out int slot)) return;
        if (!double.IsNaN(_lat[slot]))
            _cells[CellKey(CellOf(_lat[slot]), CellOf(_lon[slot]))].Remove(slot);
        foreach (var z in _subZones[slot]) _zones[z].Remove(slot);
        _subZones[slot] = [];
        _lat[slot] = double.NaN;
        _free.Push(slot);
    }

    /// <summary>
    /// Every subscriber whose area intersects the alert's, each once, nearest to
    /// <paramref name="origin"/> first. A circle matches a circle when the centres are no further
    /// apart than the radii together, a circle and a zone when they overlap, and a zone
    /// subscription a zone alert when they name the same zone.
    /// </summary>
    public Recipient[] Resolve(AlertArea area, GeoPoint origin, ZoneCatalog zones)
    {
        lock (_gate)
        {
            if (++_generation == int.MaxValue) { Array.Clear(_seen); _generation = 1; }
            int gen = _generation;
            var hits = new List<Recipient>(Math.Min(_slotById.Count, 1 << 16));
            // Metres per degree around the origin: distances for ordering are planar there (exact to
            // well under 0.1 % across a city); the in/out decision near an edge is exact (haversine).
            double ky = Math.PI / 180 * GeoPoint.EarthRadiusMeters, kx = ky * Math.Cos(origin.Lat * Math.PI / 180);
            var zoneDistance = new Dictionary<int, double>();
            double ZoneDist(int z) => zoneDistance.TryGetValue(z, out var d) ? d
                : zoneDistance[z] = zones.Find(z)?.DistanceTo(origin) ?? double.MaxValue;

            void Hit(int slot)
            {
                if (_seen[slot] == gen) return;
                _seen[slot] = gen;
                double d = double.MaxValue;
                if (!double.IsNaN(_lat[slot]))
                {
                    double dx = (_lon[slot] - origin.Lon) * kx, dy = (_lat[slot] - origin.Lat) * ky;
                    d = Math.Sqrt(dx * dx + dy * dy);
                }
                foreach (var z in _subZones[slot]) d = Math.Min(d, ZoneDist(z));
                hits.Add(new Recipient(_ids[slot], d));
            }

            var alertZones = new HashSet<int>(area.Zones);
            if (area.Circle is { } c)
            {
                // Circle subscribers whose circle reaches the alert's: a planar test with a 0.5 % margin
                // settles nearly all; only those near the edge pay for the exact great-circle distance.
                double cx = c.Center.Lon, cy = c.Center.Lat, ckx = ky * Math.Cos(cy * Math.PI / 180);
                foreach (var list in CellsNear(cy, cy, cx, cx, c.RadiusMeters))
                    foreach (var slot in list)
                    {
                        double reach = c.RadiusMeters + _radius[slot];
                        double dx = (_lon[slot] - cx) * ckx, dy = (_lat[slot] - cy) * ky, d2 = dx * dx + dy * dy;
                        if (d2 > reach * reach * 1.01) continue;
                        if (d2 >= reach * reach * 0.99 && GeoPoint.Distance(cy, cx, _lat[slot], _lon[slot]) > reach) continue;
                        Hit(slot);
                    }
                // Zone subscribers whose zone the circle overlaps.
                foreach (var z in zones.All)
                    if (_zones.ContainsKey(z.Id) && z.Intersects(c)) alertZones.Add(z.Id);
            }
            foreach (var zid in area.Zones)
            {
                if (zones.Find(zid) is not { } zone) continue;
                // Circle subscribers whose circle overlaps the alert's zone.
                foreach (var list in CellsNear(zone.MinLat, zone.MaxLat, zone.MinLon, zone.MaxLon, 0))
                    foreach (var slot in list)
                        if (zone.DistanceTo(new GeoPoint(_lat[slot], _lon[slot])) <= _radius[slot]) Hit(slot);
            }
            foreach (var zid in alertZones)
                if (_zones.TryGetValue(zid, out var set))
                    foreach (var slot in set) Hit(slot);

            // Sort (distance as float bits, position) packed in one 64-bit key: a primitive sort, no comparer.
            var packed = new ulong[hits.Count];
            for (int i = 0; i < packed.Length; i++)
                packed[i] = (ulong)BitConverter.SingleToUInt32Bits((float)Math.Min(hits[i].DistanceMeters, float.MaxValue)) << 32 | (uint)i;
            Array.Sort(packed);
            var result = new Recipient[packed.Length];
            for (int i = 0; i < packed.Length; i++) result[i] = hits[(int)(packed[i] & 0xFFFFFFFF)];
            return result;
        }
    }

    /// <summary>The occupied cells whose circle centres may reach the box grown by <paramref name="extraMeters"/>.</summary>
    private IEnumerable<List<int>> CellsNear(double minLat, double maxLat, double minLon, double maxLon, double extraMeters)
    {
        double grow = extraMeters + _maxRadius;
        double dLat = grow / 111_000.0;
        double dLon = grow / (111_000.0 * Math.Max(0.05, Math.Cos(Math.Max(Math.Abs(minLat), Math.Abs(maxLat)) * Math.PI / 180)));
        long r0 = CellOf(minLat - dLat), r1 = CellOf(maxLat + dLat), c0 = CellOf(minLon - dLon), c1 = CellOf(maxLon + dLon);
        if ((r1 - r0 + 1) * (c1 - c0 + 1) > _cells.Count * 4L)
        {
            // The box spans more cells than exist: walk the occupied ones instead.
            foreach (var (key, list) in _cells)
            {
                long r = key >> 32, col = (int)(key & 0xFFFFFFFF);
                if (r >= r0 && r <= r1 && col >= c0 && col <= c1) yield return list;
            }
            yield break;
        }
        for (long r = r0; r <= r1; r++)
            for (long col = c0; col <= c1; col++)
                if (_cells.TryGetValue(CellKey(r, col), out var list))
                    yield return list;
    }

    private static long CellOf(double degrees) => (long)Math.Floor(degrees / CellDegrees);
    private static long CellKey(long row, long col) => (row << 32) | (uint)(int)col;

    private void EnsureCapacity(int n)
    {
        if (n <= _ids.Length) return;
        int size = Math.Max(n, _ids.Length * 2);
        Array.Resize(ref _ids, size);
        Array.Resize(ref _lat, size);
        Array.Resize(ref _lon, size);
        Array.Resize(ref _radius, size);
        Array.Resize(ref _subZones, size);
        Array.Resize(ref _seen, size);
    }
}
