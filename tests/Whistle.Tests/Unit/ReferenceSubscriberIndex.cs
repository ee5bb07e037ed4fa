using System.Runtime.InteropServices;
using Whistle.Alerts;
using Whistle.Geo;

using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

/// <remarks>
/// The in-memory spatial index of confirmed subscribers that alert targeting runs on: a uniform
/// grid (~1 km cells) of circle subscribers, each cell's entries stored contiguously so a
/// city-wide alert reads memory in order, plus a zone → subscribers map. Resolving touches only
/// the cells and zones the area reaches. It is a cache of the database: <see cref="SubscriberIndexSync"/>
/// keeps it current.
/// </remarks>
/// <summary>The targeting index as it was before issue 16 (a copy, kept as the reference the compact one must agree with).</summary>
internal sealed class ReferenceSubscriberIndex
{
    private const double CellDegrees = 0.01;
    private const double MetersPerDegree = Math.PI / 180 * GeoPoint.EarthRadiusMeters;

    private struct CellEntry
    {
        public double Lat, Lon, Radius;
        public long Id;
        public int Slot;
        public bool HasZones;
        public byte Channel;
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<long, int> _slotById = [];
    private readonly Dictionary<long, List<CellEntry>> _cells = [];
    private readonly Dictionary<int, HashSet<int>> _zones = [];
    private readonly Stack<int> _free = new();
    private long[] _ids = new long[1024];
    private long[] _cellOf = new long[1024];
    // The circle centre per slot too, for subscribers reached through a zone (the cell copy is for scans).
    private double[] _lat = new double[1024];
    private double[] _lon = new double[1024];
    private int[][] _subZones = new int[1024][];
    private byte[] _channel = new byte[1024];
    private int[] _seen = new int[1024];
    private int _generation;
    private int _slots;
    private double _maxRadius;
    // Reused between calls (under the lock): a city-wide alert would otherwise allocate tens of MB each time.
    private long[] _outIds = [];
    private float[] _outDist = [];
    private byte[] _outChannel = [];

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
            _channel[slot] = (byte)s.Channel;
            _cellOf[slot] = long.MinValue;
            if (s.Lat is { } lat && s.Lon is { } lon && s.RadiusMeters is > 0 and var r)
            {
                var key = CellKey(CellOf(lat), CellOf(lon));
                if (!_cells.TryGetValue(key, out var list)) _cells[key] = list = [];
                list.Add(new CellEntry { Lat = lat, Lon = lon, Radius = r, Id = s.Id, Slot = slot, HasZones = s.Zones.Length > 0, Channel = (byte)s.Channel });
                _cellOf[slot] = key;
                (_lat[slot], _lon[slot]) = (lat, lon);
                _maxRadius = Math.Max(_maxRadius, r);
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
        if (_cellOf[slot] != long.MinValue)
        {
            var list = _cells[_cellOf[slot]];
            int at = list.FindIndex(e => e.Slot == slot);
            list[at] = list[^1];
            list.RemoveAt(list.Count - 1);
        }
        foreach (var z in _subZones[slot]) _zones[z].Remove(slot);
        _subZones[slot] = [];
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
            int gen = _generation, n = 0;
            if (_outIds.Length < _slotById.Count)
                (_outIds, _outDist, _outChannel) = (new long[_slotById.Count], new float[_slotById.Count], new byte[_slotById.Count]);
            var outIds = _outIds;
            var outDist = _outDist;
            var outChannel = _outChannel;
            // Distances for ordering are planar around the origin (well under 0.1 % off across a city);
            // whether a subscriber is in or out near an edge is decided by the exact great-circle distance.
            double ky = MetersPerDegree, kx = ky * Math.Cos(origin.Lat * Math.PI / 180);
            var zoneDistance = new Dictionary<int, double>();
            double ZoneDist(int z) => zoneDistance.TryGetValue(z, out var d) ? d
                : zoneDistance[z] = zones.Find(z)?.DistanceTo(origin) ?? double.MaxValue;
            double OriginDistance(double lat, double lon)
            {
                double dx = (lon - origin.Lon) * kx, dy = (lat - origin.Lat) * ky;
                return Math.Sqrt(dx * dx + dy * dy);
            }
            void Hit(int slot, double distance)
            {
                _seen[slot] = gen;
                foreach (var z in _subZones[slot]) distance = Math.Min(distance, ZoneDist(z));
                outIds[n] = _ids[slot];
                outChannel[n] = _channel[slot];
                outDist[n++] = (float)Math.Min(distance, float.MaxValue);
            }

            // Only a subscriber reachable two ways (circle and zones) needs the seen-mark to stay single.
            bool twoWays = area.Circle is not null && area.Zones.Length > 0;
            var alertZones = new HashSet<int>(area.Zones);
            if (area.Circle is { } c)
            {
                double cx = c.Center.Lon, cy = c.Center.Lat, ckx = ky * Math.Cos(cy * Math.PI / 180);
                foreach (var list in CellsNear(cy, cy, cx, cx, c.RadiusMeters))
                {
                    foreach (ref readonly var e in CollectionsMarshal.AsSpan(list))
                    {
                        double reach = c.RadiusMeters + e.Radius;
                        double dx = (e.Lon - cx) * ckx, dy = (e.Lat - cy) * ky, d2 = dx * dx + dy * dy;
                        if (d2 > reach * reach * 1.01) continue;
                        if (d2 >= reach * reach * 0.99 && GeoPoint.Distance(cy, cx, e.Lat, e.Lon) > reach) continue;
                        if (e.HasZones || twoWays) Hit(e.Slot, OriginDistance(e.Lat, e.Lon));
                        else
                        {
                            outIds[n] = e.Id;
                            outChannel[n] = e.Channel;
                            outDist[n++] = (float)OriginDistance(e.Lat, e.Lon);
                        }
                    }
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
                    foreach (ref readonly var e in CollectionsMarshal.AsSpan(list))
                        if (_seen[e.Slot] != gen && zone.DistanceTo(new GeoPoint(e.Lat, e.Lon)) <= e.Radius)
                            Hit(e.Slot, OriginDistance(e.Lat, e.Lon));
            }
            foreach (var zid in alertZones)
                if (_zones.TryGetValue(zid, out var set))
                    foreach (var slot in set)
                        if (_seen[slot] != gen)
                            Hit(slot, _cellOf[slot] == long.MinValue ? double.MaxValue : OriginDistance(_lat[slot], _lon[slot]));

            return SortByDistance(outIds, outDist, outChannel, n);
        }
    }

    /// <summary>Nearest first: a two-pass radix sort on the distances' float bits (non-negative floats sort as their bits).</summary>
    private static Recipient[] SortByDistance(long[] ids, float[] dist, byte[] channel, int n)
    {
        var keys = new uint[n];
        var order = new int[n];
        for (int i = 0; i < n; i++) { keys[i] = BitConverter.SingleToUInt32Bits(dist[i]); order[i] = i; }
        var keys2 = new uint[n];
        var order2 = new int[n];
        var counts = new int[65536];
        for (int shift = 0; shift < 32; shift += 16)
        {
            Array.Clear(counts);
            for (int i = 0; i < n; i++) counts[(keys[i] >> shift) & 0xFFFF]++;
            for (int b = 0, sum = 0; b < counts.Length; b++) { int c = counts[b]; counts[b] = sum; sum += c; }
            for (int i = 0; i < n; i++)
            {
                int to = counts[(keys[i] >> shift) & 0xFFFF]++;
                keys2[to] = keys[i];
                order2[to] = order[i];
            }
            (keys, keys2) = (keys2, keys);
            (order, order2) = (order2, order);
        }
        var result = new Recipient[n];
        for (int i = 0; i < n; i++) result[i] = new Recipient(ids[order[i]], dist[order[i]], (SubscriberChannel)channel[order[i]]);
        return result;
    }

    /// <summary>The occupied cells whose circle centres may reach the box grown by <paramref name="extraMeters"/>.</summary>
    private IEnumerable<List<CellEntry>> CellsNear(double minLat, double maxLat, double minLon, double maxLon, double extraMeters)
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
        Array.Resize(ref _cellOf, size);
        Array.Resize(ref _lat, size);
        Array.Resize(ref _lon, size);
        Array.Resize(ref _subZones, size);
        Array.Resize(ref _channel, size);
        Array.Resize(ref _seen, size);
    }
}
