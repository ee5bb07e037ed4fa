using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Cluster;
using Whistle.Privacy;
using Whistle.Tests.Fixtures;
using Xunit.Abstractions;

namespace Whistle.Tests.Api;

/// <summary>
/// The shared store itself, from two nodes at once: every hit of a window is counted exactly once (the counts handed
/// out are 1..n, each once), and pacing slots from both nodes are never closer than the interval. Prints the cost
/// of a call (decision 0046's table) — a measurement, not a timed assertion.
/// </summary>
public abstract class SharedLimitsStoreTests(ITestOutputHelper output)
{
    protected abstract Dictionary<string, string?> Store();

    [Fact]
    public async Task Hits_from_two_nodes_are_each_counted_once_and_slots_never_closer_than_the_interval()
    {
        var shared = new Dictionary<string, string?> { ["Whistle:Encryption:Keys"] = KeyRing.CreateNew().ToJson() };
        foreach (var (k, v) in Store()) shared[k] = v;
        using var a = new CustomApp(new(shared), db: Db.Postgres);
        using var b = new CustomApp(new(shared)
        {
            ["Whistle:Database:Provider"] = "postgres",
            ["Whistle:Database:ConnectionString"] = a.Settings["Whistle:Database:ConnectionString"],
        });
        var stores = new[] { a.Services.GetRequiredService<SharedLimits>(), b.Services.GetRequiredService<SharedLimits>() };
        Assert.True(stores[0].Shared);

        const int n = 400;
        var window = "w" + Guid.NewGuid().ToString("N");
        var counts = await Task.WhenAll(Enumerable.Range(0, n).Select(i => stores[i % 2].CountAsync(window, TimeSpan.FromMinutes(1))));
        Assert.Equal(Enumerable.Range(1, n).Select(i => (long)i), counts.Select(c => c.Count).Order());
        Assert.All(counts, c => Assert.InRange(c.Remaining, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));

        // Slots: 200 asked at once from both nodes for one identity at 1,000 a second — the waits handed out, on the
        // store's clock, are all different and at least 1 ms apart (give or take the calls' own spread).
        var pace = "p" + Guid.NewGuid().ToString("N");
        var started = Stopwatch.GetTimestamp();
        var slots = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var s = await stores[i % 2].SlotAsync([pace], TimeSpan.FromMilliseconds(1));
            return Stopwatch.GetElapsedTime(started) + s.Wait; // when this slot is, on this process' clock
        }));
        var ordered = slots.Order().ToList();
        var span = ordered[^1] - ordered[0];
        output.WriteLine($"200 slots at 1 ms span {span.TotalMilliseconds:F0} ms");
        Assert.True(span >= TimeSpan.FromMilliseconds(150), $"200 slots 1 ms apart spread over only {span.TotalMilliseconds:F0} ms");

        // Cost of a call, one caller at a time (loopback, a busy shared machine: read the order of magnitude).
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 300; i++) await stores[0].CountAsync(window, TimeSpan.FromMinutes(1));
        var count = sw.Elapsed.TotalMicroseconds / 300;
        sw.Restart();
        for (int i = 0; i < 300; i++) await stores[0].SlotAsync([pace + "x"], TimeSpan.FromTicks(1));
        var slot = sw.Elapsed.TotalMicroseconds / 300;
        output.WriteLine($"{stores[0].Store}: count {count:F0} µs/call, slot {slot:F0} µs/call");
    }
}

public sealed class SharedLimitsStoreRedisTests(ITestOutputHelper output) : SharedLimitsStoreTests(output)
{
    protected override Dictionary<string, string?> Store() => TestRedis.Settings();
}

public sealed class SharedLimitsStoreDatabaseTests(ITestOutputHelper output) : SharedLimitsStoreTests(output)
{
    protected override Dictionary<string, string?> Store() => [];
}
