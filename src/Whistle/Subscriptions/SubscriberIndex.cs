using System.Runtime.InteropServices;
using Whistle.Alerts;
using Whistle.Geo;

namespace Whistle.Subscriptions;

/// <summary>One confirmed subscriber's area, as the targeting index holds it.</summary>
public readonly record struct SubscriberArea(long Id, double? Lat, double? Lon, double? RadiusMeters, int[] Zones,
    SubscriberChannel Channel = SubscriberChannel.Sms);

/// <summary>A recipient of an alert and how far they are from where it happened.</summary>
public readonly record struct Recipient(long SubscriberId, double DistanceMeters, SubscriberChannel Channel = SubscriberChannel.Sms);

/// <summary>
/// The in-memory spatial index of confirmed subscribers that alert targeting runs on: a uniform
/// grid (~1 km cells) of circle subscribers, each cell's entries stored contiguously so a
/// city-wide alert reads memory in order, plus a zone → subscribers map. Resolving touches only
/// the cells and zones the area reaches. It is a cache of the database: <see cref="SubscriberIndexSync"/>
/// keeps it current.
/// </summary>
/// <remarks>
/// Compact (issue 16: at most 80 bytes a subscriber at a million, measured by <c>bench … index</c>): no object per
/// subscriber. A subscriber is a slot in a few parallel arrays (id, cell, place in the cell, zone list, channel);
/// the id → slot map is an open-addressing table of ints over those arrays; a cell holds its circles as one array
/// of 28-byte structs grown by a quarter; the zone lists subscribers choose are interned (a handful of distinct
/// lists, one number per subscriber); each zone's members are one int array.
/// </remarks>
public sealed class SubscriberIndex
{
    private const double CellDegrees = 0.01;
    private const double MetersPerDegree = Math.PI / 180 * GeoPoint.EarthRadiusMeters;
    private const int NoCell = -1;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct CellEntry
    {
        public double Lat, Lon, Radius;
        public int Slot;
    }

    /// <summary>A growable array of ints or cell entries that grows by a quarter (the index's bulk lives in these).</summary>
    private sealed class Bag<T> where T : struct
    {
        public T[] Items = [];
        public int Count;

        public void Add(T item)
        {
            if (Count == Items.Length) Array.Resize(ref Items, Math.Max(16, Count + (Count >> 2)));
            Items[Count++] = item;
        }

        /// <summary>Moves the last item into <paramref name="at"/>; answers the moved item.</summary>
        public T RemoveAt(int at)
        {
            var last = Items[--Count];
            Items[at] = last;
            Items[Count] = default;
            return last;
        }

        public Span<T> Span => Items.AsSpan(0, Count);
    }

    private readonly Lock _gate = new();
    // Cells: key (row, column) → cell number; per cell its key and its circles.
    private readonly Dictionary<long, int> _cellByKey = [];
    private readonly List<Bag<CellEntry>> _cells = [];
    private readonly List<long> _cellKeys = [];
    // Zones: zone id → its members' slots. Interned zone lists: number → list (0 is "none").
    private readonly Dictionary<int, Bag<int>> _zones = [];
    private readonly List<int[]> _zoneLists = [[]];
    private readonly Dictionary<int[], int> _zoneListIds = new(ZoneListComparer.Instance);
    private readonly Stack<int> _free = new();
    // Per slot.
    private long[] _ids = new long[1024];
    private int[] _cellOf = new int[1024];
    private int[] _placeInCell = new int[1024];
    private int[] _zoneListOf = new int[1024];
    private byte[] _channel = new byte[1024];
    // id → slot + 1 (0: empty), linear probing, at most half full.
    private int[] _table = new int[2048];
    private int _count;
    private int _slots;
    private double _maxRadius;
    // Reused between calls (under the lock): a city-wide alert would otherwise allocate MBs each time.
    private int[] _outSlots = [];
    private float[] _outDist = [];
    private ulong[] _seen = [];

    public int Count { get { lock (_gate) return _count; } }

    public void Upsert(SubscriberArea s)
    {
        lock (_gate) UpsertLocked(s);
    }

    /// <summary>Several at once under one hold of the lock (the start-up load enters a batch from each of its readers).</summary>
    public void Upsert(ReadOnlySpan<SubscriberArea> areas)
    {
        lock (_gate)
            foreach (var s in areas) UpsertLocked(s);
    }

    private void UpsertLocked(SubscriberArea s)
    {
        {
            RemoveLocked(s.Id);
            int slot = _free.Count > 0 ? _free.Pop() : _slots++;
            EnsureCapacity(_slots);
            _ids[slot] = s.Id;
            _channel[slot] = (byte)s.Channel;
            _cellOf[slot] = NoCell;
            _zoneListOf[slot] = Intern(s.Zones);
            if (s.Lat is { } lat && s.Lon is { } lon && s.RadiusMeters is > 0 and var r)
            {
                var key = CellKey(CellOf(lat), CellOf(lon));
                if (!_cellByKey.TryGetValue(key, out int cell))
                {
                    _cellByKey[key] = cell = _cells.Count;
                    _cells.Add(new Bag<CellEntry>());
                    _cellKeys.Add(key);
                }
                var bag = _cells[cell];
                _cellOf[slot] = cell;
                _placeInCell[slot] = bag.Count;
                bag.Add(new CellEntry { Lat = lat, Lon = lon, Radius = r, Slot = slot });
                _maxRadius = Math.Max(_maxRadius, r);
            }
            foreach (var z in _zoneLists[_zoneListOf[slot]])
            {
                if (!_zones.TryGetValue(z, out var members)) _zones[z] = members = new Bag<int>();
                members.Add(slot);
            }
            TableAdd(s.Id, slot);
            _count++;
        }
    }

    public void Remove(long id)
    {
        lock (_gate) RemoveLocked(id);
    }

    private void RemoveLocked(long id)
    {
        int at = TableFind(id);
        if (at < 0) return;
        int slot = _table[at] - 1;
        TableRemoveAt(at);
        _count--;
        if (_cellOf[slot] != NoCell)
        {
            var bag = _cells[_cellOf[slot]];
            int place = _placeInCell[slot];
            if (place < bag.Count - 1) _placeInCell[bag.RemoveAt(place).Slot] = place;
            else bag.RemoveAt(place);
            _cellOf[slot] = NoCell;
        }
        foreach (var z in _zoneLists[_zoneListOf[slot]])
        {
            var members = _zones[z];
            int i = Array.IndexOf(members.Items, slot, 0, members.Count);
            members.RemoveAt(i);
        }
        _zoneListOf[slot] = 0;
        _free.Push(slot);
    }

    private int Intern(int[] zones)
    {
        if (zones.Length == 0) return 0;
        if (_zoneListIds.TryGetValue(zones, out int id)) return id;
        var copy = zones.ToArray();
        _zoneListIds[copy] = id = _zoneLists.Count;
        _zoneLists.Add(copy);
        return id;
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
            int n = 0;
            if (_outSlots.Length < _count) (_outSlots, _outDist) = (new int[_count], new float[_count]);
            if (_seen.Length < (_slots + 63) / 64) _seen = new ulong[(_ids.Length + 63) / 64];
            else Array.Clear(_seen);
            var outSlots = _outSlots;
            var outDist = _outDist;
            var seen = _seen;
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
            bool Seen(int slot) => (seen[slot >> 6] & (1UL << slot)) != 0;
            void Hit(int slot, double distance)
            {
                seen[slot >> 6] |= 1UL << slot;
                foreach (var z in _zoneLists[_zoneListOf[slot]]) distance = Math.Min(distance, ZoneDist(z));
                outSlots[n] = slot;
                outDist[n++] = (float)Math.Min(distance, float.MaxValue);
            }

            // Only a subscriber reachable two ways (circle and zones) needs the seen-mark to stay single.
            bool twoWays = area.Circle is not null && area.Zones.Length > 0;
            var alertZones = new HashSet<int>(area.Zones);
            if (area.Circle is { } c)
            {
                double cx = c.Center.Lon, cy = c.Center.Lat, ckx = ky * Math.Cos(cy * Math.PI / 180);
                foreach (var bag in CellsNear(cy, cy, cx, cx, c.RadiusMeters))
                {
                    foreach (ref readonly var e in bag.Span)
                    {
                        double reach = c.RadiusMeters + e.Radius;
                        double dx = (e.Lon - cx) * ckx, dy = (e.Lat - cy) * ky, d2 = dx * dx + dy * dy;
                        if (d2 > reach * reach * 1.01) continue;
                        if (d2 >= reach * reach * 0.99 && GeoPoint.Distance(cy, cx, e.Lat, e.Lon) > reach) continue;
                        if (twoWays || _zoneListOf[e.Slot] != 0) Hit(e.Slot, OriginDistance(e.Lat, e.Lon));
                        else
                        {
                            outSlots[n] = e.Slot;
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
                foreach (var bag in CellsNear(zone.MinLat, zone.MaxLat, zone.MinLon, zone.MaxLon, 0))
                    foreach (ref readonly var e in bag.Span)
                        if (!Seen(e.Slot) && zone.DistanceTo(new GeoPoint(e.Lat, e.Lon)) <= e.Radius)
                            Hit(e.Slot, OriginDistance(e.Lat, e.Lon));
            }
            foreach (var zid in alertZones)
                if (_zones.TryGetValue(zid, out var members))
                    foreach (var slot in members.Span)
                        if (!Seen(slot))
                        {
                            double d = double.MaxValue;
                            if (_cellOf[slot] != NoCell)
                            {
                                ref readonly var e = ref _cells[_cellOf[slot]].Items[_placeInCell[slot]];
                                d = OriginDistance(e.Lat, e.Lon);
                            }
                            Hit(slot, d);
                        }

            return SortByDistance(outSlots, outDist, n);
        }
    }

    /// <summary>Nearest first: a two-pass radix sort on the distances' float bits (non-negative floats sort as their bits).</summary>
    private Recipient[] SortByDistance(int[] slots, float[] dist, int n)
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
        for (int i = 0; i < n; i++)
        {
            int slot = slots[order[i]];
            result[i] = new Recipient(_ids[slot], dist[order[i]], (SubscriberChannel)_channel[slot]);
        }
        return result;
    }

    /// <summary>The occupied cells whose circle centres may reach the box grown by <paramref name="extraMeters"/>.</summary>
    private IEnumerable<Bag<CellEntry>> CellsNear(double minLat, double maxLat, double minLon, double maxLon, double extraMeters)
    {
        double grow = extraMeters + _maxRadius;
        double dLat = grow / 111_000.0;
        double dLon = grow / (111_000.0 * Math.Max(0.05, Math.Cos(Math.Max(Math.Abs(minLat), Math.Abs(maxLat)) * Math.PI / 180)));
        long r0 = CellOf(minLat - dLat), r1 = CellOf(maxLat + dLat), c0 = CellOf(minLon - dLon), c1 = CellOf(maxLon + dLon);
        if ((r1 - r0 + 1) * (c1 - c0 + 1) > _cells.Count * 4L)
        {
            // The box spans more cells than exist: walk the occupied ones instead.
            for (int i = 0; i < _cells.Count; i++)
            {
                long key = _cellKeys[i], r = key >> 32, col = (int)(key & 0xFFFFFFFF);
                if (r >= r0 && r <= r1 && col >= c0 && col <= c1) yield return _cells[i];
            }
            yield break;
        }
        for (long r = r0; r <= r1; r++)
            for (long col = c0; col <= c1; col++)
                if (_cellByKey.TryGetValue(CellKey(r, col), out int cell))
                    yield return _cells[cell];
    }

    private static long CellOf(double degrees) => (long)Math.Floor(degrees / CellDegrees);
    private static long CellKey(long row, long col) => (row << 32) | (uint)(int)col;

    private void EnsureCapacity(int n)
    {
        if (n <= _ids.Length) return;
        int size = Math.Max(n, _ids.Length * 2);
        Array.Resize(ref _ids, size);
        Array.Resize(ref _cellOf, size);
        Array.Resize(ref _placeInCell, size);
        Array.Resize(ref _zoneListOf, size);
        Array.Resize(ref _channel, size);
    }

    // The id → slot table: linear probing over ints; removal shifts the run back (no tombstones).
    private int Home(long id) => (int)((ulong)(id * unchecked((long)0x9E3779B97F4A7C15)) >> 32) & (_table.Length - 1);

    private int TableFind(long id)
    {
        int mask = _table.Length - 1;
        for (int i = Home(id); ; i = (i + 1) & mask)
        {
            int v = _table[i];
            if (v == 0) return -1;
            if (_ids[v - 1] == id) return i;
        }
    }

    private void TableAdd(long id, int slot)
    {
        if ((_count + 1) * 2 > _table.Length)
        {
            var old = _table;
            _table = new int[old.Length * 2];
            foreach (var v in old)
                if (v != 0) Place(_ids[v - 1], v);
        }
        Place(id, slot + 1);
    }

    private void Place(long id, int value)
    {
        int mask = _table.Length - 1, i = Home(id);
        while (_table[i] != 0) i = (i + 1) & mask;
        _table[i] = value;
    }

    private void TableRemoveAt(int hole)
    {
        int mask = _table.Length - 1;
        for (int j = (hole + 1) & mask; _table[j] != 0; j = (j + 1) & mask)
        {
            int home = Home(_ids[_table[j] - 1]);
            // The entry at j may move back into the hole unless its home lies cyclically in (hole, j].
            bool stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (stays) continue;
            _table[hole] = _table[j];
            hole = j;
        }
        _table[hole] = 0;
    }

    private sealed class ZoneListComparer : IEqualityComparer<int[]>
    {
        public static readonly ZoneListComparer Instance = new();
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(int[] zones)
        {
            var h = new HashCode();
            foreach (var z in zones) h.Add(z);
            return h.ToHashCode();
        }
    }
}
