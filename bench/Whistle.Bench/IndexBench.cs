using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Privacy;
using Whistle.Subscriptions;
using Whistle.Tests.Unit;

/// <summary>
/// The targeting index's memory and its load at start-up (issue 16 §3): bytes a subscriber at N subscribers, the
/// compact index beside the layout before it (<see cref="ReferenceSubscriberIndex"/>), each measured as the managed
/// heap after a full collection before and after building it; then the start-up load from the database (sealed
/// circles decrypted) timed through <see cref="SubscriberIndexSync.CatchUpAsync"/>.
/// </summary>
public static class IndexBench
{
    /// <summary>Bytes a subscriber, without the database (run before seeding, so the heap holds little else).</summary>
    public static void Memory(int n, ZoneCatalog zones)
    {
        var centre = new GeoPoint(44.9778, -93.2650);
        var cityWide = new AlertArea(new GeoCircle(centre, 25_000), []);
        var areas = Synthetic(n, zones);

        var (oldBuilt, oldResolved, oldReached) = Measure(() => new ReferenceSubscriberIndex(), (i, a) => i.Upsert(a), i => i.Resolve(cityWide, centre, zones).Length, areas);
        var (built, resolved, reached) = Measure(() => new SubscriberIndex(), (i, a) => i.Upsert(a), i => i.Resolve(cityWide, centre, zones).Length, areas);
        if (reached != oldReached) throw new Exception($"the compact index reached {reached:N0}, the old {oldReached:N0}");
        Console.WriteLine($"old layout:     {oldBuilt / (double)n,6:F1} bytes/subscriber built, {oldResolved / (double)n,6:F1} after a city-wide resolve ({oldReached:N0} reached)");
        Console.WriteLine($"compact layout: {built / (double)n,6:F1} bytes/subscriber built, {resolved / (double)n,6:F1} after a city-wide resolve ({reached:N0} reached)");
        Console.WriteLine($"RESULT index memory, {n:N0} subscribers: {resolved / (double)n:F1} bytes/subscriber " +
                          $"(with its reused resolve buffers; {built / (double)n:F1} built) — was {oldResolved / (double)n:F1}");
    }

    /// <summary>The managed heap after a full collection, before and after building (and resolving with) one index.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (long Built, long Resolved, int Reached) Measure<T>(Func<T> make, Action<T, SubscriberArea> upsert, Func<T, int> resolve, SubscriberArea[] areas)
    {
        static long Heap() => GC.GetTotalMemory(forceFullCollection: true);
        long before = Heap();
        var index = make();
        foreach (var a in areas) upsert(index, a);
        long built = Heap() - before;
        int reached = resolve(index);
        long resolved = Heap() - before;
        GC.KeepAlive(index);
        return (built, resolved, reached);
    }

    public static async Task LoadAsync(Func<WhistleDb> newDb, KeyRing keys, int n, string database)
    {
        // Start-up: a fresh process's index, read from the database with every circle decrypted.
        Console.WriteLine($"load average at the start: {LoadAverage()}");
        var times = new List<double>();
        for (int run = 0; run < 3; run++)
        {
            var sync = new SubscriberIndexSync(new SubscriberIndex(), TimeProvider.System, keys);
            var cpu = Cpu();
            var sw = Stopwatch.StartNew();
            await using (var db = newDb()) await sync.CatchUpAsync(db);
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (sync.Index.Count != n) throw new Exception($"loaded {sync.Index.Count:N0} of {n:N0}");
            Console.WriteLine($"run {run + 1}: index loaded from {database} in {times[^1]:N0} ms, {Cpu() - cpu:N0} ms of CPU in this process " +
                              $"({sync.Index.Count:N0} subscribers, circles sealed; load average {LoadAverage()})");
        }
        await PhasesAsync(newDb, keys, n);
        times.Sort();
        Console.WriteLine($"load average at the end: {LoadAverage()}");
        Console.WriteLine($"RESULT index load at start-up, {n:N0} subscribers, {database}: median {times[1]:N0} ms " +
                          $"({times[1] / (n / 1_000_000.0):N0} ms per million)");
    }

    /// <summary>
    /// Where the load's time goes, each phase alone on one thread: reading the five columns with a data reader,
    /// opening the sealed circles, entering the rows into an empty index.
    /// </summary>
    private static async Task PhasesAsync(Func<WhistleDb> newDb, KeyRing keys, int n)
    {
        var ciphers = new List<byte[]?>(n);
        var rows = new List<(long Id, int Channel, string Zones)>(n);
        var sw = Stopwatch.StartNew();
        double cpu0 = Cpu();
        await using (var db = newDb())
        {
            await db.Database.OpenConnectionAsync();
            await using var command = db.Subscribers.AsNoTracking().Where(s => s.State == SubscriberState.Confirmed)
                .Select(s => new { s.Id, s.State, s.Channel, s.Zones, s.AreaCipher }).CreateDbCommand();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetInt64(0), reader.GetInt32(2), reader.GetString(3)));
                ciphers.Add(reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4));
            }
        }
        double read = sw.Elapsed.TotalMilliseconds, readCpu = Cpu() - cpu0;
        sw.Restart();
        cpu0 = Cpu();
        var circles = new SealedCircle?[n];
        using (var opener = keys.OpenerFor(Purpose.SubscriberArea))
            for (int i = 0; i < ciphers.Count; i++)
                if (ciphers[i] is { } c && SealedCircle.TryOpen(opener, c, out var circle)) circles[i] = circle;
        double open = sw.Elapsed.TotalMilliseconds, openCpu = Cpu() - cpu0;
        var zoneLists = new Dictionary<string, int[]>();
        var areas = new SubscriberArea[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            if (!zoneLists.TryGetValue(rows[i].Zones, out var z)) zoneLists[rows[i].Zones] = z = Alert.ZoneIds(rows[i].Zones);
            var c = circles[i];
            areas[i] = new SubscriberArea(rows[i].Id, c?.Lat, c?.Lon, c?.RadiusMeters, z, (SubscriberChannel)rows[i].Channel);
        }
        sw.Restart();
        cpu0 = Cpu();
        var index = new SubscriberIndex();
        foreach (var a in areas) index.Upsert(a);
        double enter = sw.Elapsed.TotalMilliseconds, enterCpu = Cpu() - cpu0;
        Console.WriteLine($"phases, each alone on one thread (wall / CPU ms): read {read:N0} / {readCpu:N0}, open circles {open:N0} / {openCpu:N0}, " +
                          $"enter into the index {enter:N0} / {enterCpu:N0}");
    }

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>The seeded network's shape, without the database: a fifth zone-only, a seventh with zones too.</summary>
    private static SubscriberArea[] Synthetic(int n, ZoneCatalog zones)
    {
        var random = new Random(42);
        var zoneIds = zones.All.Select(z => z.Id).ToArray();
        var result = new SubscriberArea[n];
        for (int i = 0; i < n; i++)
        {
            bool zoneOnly = i % 5 == 0;
            var (lat, lon, r) = (44.89 + random.NextDouble() * 0.16, -93.33 + random.NextDouble() * 0.14, zoneOnly ? 0 : 250 + random.Next(8) * 250);
            int[] z = zoneOnly || i % 7 == 0 ? Alert.ZoneIds(zoneIds[random.Next(zoneIds.Length)].ToString()) : [];
            result[i] = zoneOnly ? new SubscriberArea(i + 1, null, null, null, z) : new SubscriberArea(i + 1, lat, lon, r, z);
        }
        return result;
    }
}
