using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Cluster;
using Whistle.Data;
using Whistle.Tests.Fixtures;

namespace Whistle.Tests.Api;

/// <summary>
/// The live bus itself (Cluster/LiveBus.cs), node by node without a host: in-process without Redis; with Redis every
/// node's handlers run once per message (the publisher's too); another network's prefix hears nothing; a handler
/// that throws is logged and keeps its subscription; after Redis restarts, messages flow again.
/// </summary>
public sealed class LiveBusRedisTests
{
    private sealed class Node : IDisposable
    {
        public RedisConnection Redis { get; }
        public LiveBus Bus { get; }
        public ConcurrentQueue<string> Logged { get; } = new();

        public Node(string? connection, string prefix = "unused")
        {
            var options = new WhistleOptions();
            options.Redis.ConnectionString = connection;
            options.Redis.Prefix = prefix;
            Redis = new RedisConnection(Options.Create(options));
            Bus = new LiveBus(Redis, new ListLogger(Logged));
        }

        public void Dispose() => Redis.Dispose();
    }

    private sealed class ListLogger(ConcurrentQueue<string> lines) : ILogger<LiveBus>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }

    [Fact]
    public async Task Without_Redis_the_handlers_of_this_process_run_once_and_an_unsubscribed_one_not_at_all()
    {
        using var node = new Node(null);
        var heard = new ConcurrentQueue<string>();
        using var sub = node.Bus.Subscribe(LiveBus.Topics.AlertsChanged, heard.Enqueue);
        var gone = node.Bus.Subscribe(LiveBus.Topics.AlertsChanged, _ => heard.Enqueue("gone"));
        gone.Dispose();
        await node.Bus.PublishAsync(LiveBus.Topics.AlertsChanged, "x");
        await node.Bus.PublishAsync(LiveBus.Topics.ZonesChanged, "other topic");
        Assert.Equal(["x"], heard);
        Assert.False(node.Bus.Clustered);
    }

    [Fact]
    public async Task With_Redis_every_nodes_handlers_run_exactly_once_the_publishers_too_and_another_prefix_hears_nothing()
    {
        var prefix = TestRedis.NewPrefix();
        using var a = new Node(TestRedis.ConnectionString, prefix);
        using var b = new Node(TestRedis.ConnectionString, prefix);
        using var other = new Node(TestRedis.ConnectionString, TestRedis.NewPrefix());
        var (onA, onB, onOther) = (new ConcurrentQueue<string>(), new ConcurrentQueue<string>(), new ConcurrentQueue<string>());
        using var s1 = a.Bus.Subscribe(LiveBus.Topics.OutboxPoke, onA.Enqueue);
        using var s2 = b.Bus.Subscribe(LiveBus.Topics.OutboxPoke, onB.Enqueue);
        using var s3 = other.Bus.Subscribe(LiveBus.Topics.OutboxPoke, onOther.Enqueue);

        for (int i = 0; i < 20; i++) await a.Bus.PublishAsync(LiveBus.Topics.OutboxPoke, "m" + i);
        var expected = Enumerable.Range(0, 20).Select(i => "m" + i).ToList();
        await WhistleApp.EventuallyAsync(() => Task.FromResult(onA.Count + onB.Count), n => n >= 40, "both nodes to hear 20 messages", 5_000);
        // A marker after them: once it is heard, nothing more of the 20 is still on its way.
        await a.Bus.PublishAsync(LiveBus.Topics.OutboxPoke, "end");
        await WhistleApp.EventuallyAsync(() => Task.FromResult(onA.Contains("end") && onB.Contains("end")), x => x, "the marker", 5_000);
        Assert.Equal(expected.Order(StringComparer.Ordinal), onA.Where(m => m != "end").Order(StringComparer.Ordinal));
        Assert.Equal(expected.Order(StringComparer.Ordinal), onB.Where(m => m != "end").Order(StringComparer.Ordinal));
        Assert.Equal(21, onA.Count);
        Assert.Equal(21, onB.Count);
        Assert.Empty(onOther);
        Assert.True(a.Bus.Clustered);
    }

    [Fact]
    public async Task A_handler_that_throws_is_logged_without_the_payload_and_keeps_hearing()
    {
        var prefix = TestRedis.NewPrefix();
        using var a = new Node(TestRedis.ConnectionString, prefix);
        int calls = 0;
        var heard = new ConcurrentQueue<string>();
        using var bad = a.Bus.Subscribe(LiveBus.Topics.StaffChanged, _ =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("boom");
        });
        using var good = a.Bus.Subscribe(LiveBus.Topics.StaffChanged, heard.Enqueue);
        await a.Bus.PublishAsync(LiveBus.Topics.StaffChanged, "secret-payload-1");
        await a.Bus.PublishAsync(LiveBus.Topics.StaffChanged, "secret-payload-2");
        await WhistleApp.EventuallyAsync(() => Task.FromResult(heard.Count), n => n == 2, "the other handler to hear both", 5_000);
        Assert.Equal(2, Volatile.Read(ref calls));
        Assert.Equal(2, a.Logged.Count(l => l.StartsWith("Error:") && l.Contains(LiveBus.Topics.StaffChanged)));
        Assert.DoesNotContain(a.Logged, l => l.Contains("secret-payload"));
    }

    [Fact]
    public async Task After_Redis_restarts_messages_flow_again_without_subscribing_anew()
    {
        int port = CustomApp.FreePort();
        var dir = Directory.CreateTempSubdirectory("whistle-redis-").FullName;
        Process Start() => Process.Start(new ProcessStartInfo("redis-server",
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var redis = Start();
        try
        {
            var connection = $"127.0.0.1:{port},connectRetry=10,connectTimeout=2000";
            var prefix = TestRedis.NewPrefix();
            await WaitUpAsync(port);
            using var a = new Node(connection, prefix);
            using var b = new Node(connection, prefix);
            var heard = new ConcurrentQueue<string>();
            using var sub = b.Bus.Subscribe(LiveBus.Topics.ZonesChanged, heard.Enqueue);
            await a.Bus.PublishAsync(LiveBus.Topics.ZonesChanged, "before");
            await WhistleApp.EventuallyAsync(() => Task.FromResult(heard.Contains("before")), x => x, "a message before the restart", 5_000);

            redis.Kill();
            await redis.WaitForExitAsync();
            redis.Dispose();
            // While Redis is away a publish does not throw (the publisher's own node is told instead).
            await a.Bus.PublishAsync(LiveBus.Topics.ZonesChanged, "while-down");
            redis = Start();
            await WaitUpAsync(port);

            // Both nodes reconnect by themselves, and b's subscription is made again: a message after it arrives.
            int n = 0;
            await WhistleApp.EventuallyAsync(async () =>
            {
                await a.Bus.PublishAsync(LiveBus.Topics.ZonesChanged, "after" + n++);
                await Task.Delay(100);
                return heard.Any(h => h.StartsWith("after", StringComparison.Ordinal));
            }, x => x, "a message after the restart", 30_000);
        }
        finally
        {
            if (!redis.HasExited) redis.Kill();
            redis.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static Task WaitUpAsync(int port) => WhistleApp.EventuallyAsync(async () =>
    {
        try
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }, x => x, "redis-server to listen", 10_000);
}
