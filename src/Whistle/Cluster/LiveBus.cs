using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Whistle.Cluster;

/// <summary>
/// One bus for everything live between nodes: "something changed, look again". A topic and a short payload (ids at
/// most, never a name, an address, a place or a report's text). Without Redis the handlers of this process run at once
/// (one node, as before); with Whistle:Redis:ConnectionString set, <see cref="PublishAsync"/> publishes on the Redis
/// channel <c>{prefix}:bus:{topic}</c> and every node's handlers run — the publisher's too, exactly once, when its
/// own message comes back. Redis pub/sub is fire-and-forget: a node that was cut off misses what was said meanwhile,
/// so every subscriber here is a wake-up for state the database keeps (each also has a slower poll as a safety net).
/// </summary>
public sealed class LiveBus(RedisConnection redis, ILogger<LiveBus> log)
{
    /// <summary>The topics (stable names: they are part of the Redis channel names nodes of different versions share).</summary>
    public static class Topics
    {
        /// <summary>An alert was sent, approved, updated, cancelled or retracted (payload: the alert's id, or empty).</summary>
        public const string AlertsChanged = "alerts-changed";
        /// <summary>An admin imported zones (payload empty): every node reloads its zone registry.</summary>
        public const string ZonesChanged = "zones-changed";
        /// <summary>Deliveries were enqueued (payload: the publishing node's id): every other node's relay lanes wake.</summary>
        public const string OutboxPoke = "outbox-poke";
        /// <summary>Staff sessions were ended (payload empty): every node re-checks its open hub connections now.</summary>
        public const string StaffChanged = "staff-changed";
    }

    /// <summary>This process, as told apart on the bus (random per start; never a host name or address).</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N")[..12];

    private readonly ConcurrentDictionary<string, Handlers> _topics = new();

    private sealed class Handlers
    {
        public volatile Action<string>[] List = [];
        public bool Subscribed;
    }

    public bool Clustered => redis.Configured;

    /// <summary>Runs every node's handlers of the topic (with Redis); this node's only without. Never throws.</summary>
    public async Task PublishAsync(string topic, string payload = "")
    {
        if (!redis.Configured)
        {
            Dispatch(topic, payload);
            return;
        }
        try
        {
            var mux = redis.Multiplexer;
            if (mux.IsConnected)
            {
                // Fire and forget: the request that changed something never waits on Redis (a Redis that stalls would
                // otherwise hold an alert's "sent" answer for the command timeout).
                await mux.GetSubscriber().PublishAsync(Channel(topic), payload, CommandFlags.FireAndForget);
                return;
            }
            log.LogWarning("Live bus: Redis is not connected; {Topic} is told to this node only", topic);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Live bus: could not publish {Topic}; it is told to this node only", topic);
        }
        // Redis is away: the other nodes catch up by their own polls; this node at least hears itself.
        Dispatch(topic, payload);
    }

    /// <summary>
    /// Calls <paramref name="handler"/> (on a pool thread; keep it short — a wake-up) for every message on the topic,
    /// from any node. A handler's exception is logged and the subscription stays. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(string topic, Action<string> handler)
    {
        var h = _topics.GetOrAdd(topic, _ => new Handlers());
        lock (h)
        {
            h.List = [.. h.List, handler];
            if (redis.Configured && !h.Subscribed)
            {
                h.Subscribed = true;
                try
                {
                    // Registered with the multiplexer before the server is asked: when Redis is down now (or restarts
                    // later), StackExchange.Redis subscribes again as soon as it reconnects.
                    redis.Multiplexer.GetSubscriber().Subscribe(Channel(topic), (_, message) => Dispatch(topic, message.HasValue ? message.ToString() : ""));
                }
                catch (Exception ex)
                {
                    log.LogWarning(ex, "Live bus: Redis did not confirm the subscription to {Topic}; it is made again on reconnect", topic);
                }
            }
        }
        return new Unsubscriber(() =>
        {
            lock (h) h.List = h.List.Where(x => x != handler).ToArray();
        });
    }

    private RedisChannel Channel(string topic) => RedisChannel.Literal(redis.Key("bus:" + topic));

    private void Dispatch(string topic, string payload)
    {
        if (!_topics.TryGetValue(topic, out var h)) return;
        foreach (var handler in h.List)
        {
            try { handler(payload); }
            catch (Exception ex)
            {
                // The topic only: a payload is an id at most, but nothing from it is logged either.
                log.LogError(ex, "Live bus: a handler of {Topic} failed", topic);
            }
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) dispose();
        }
    }
}
