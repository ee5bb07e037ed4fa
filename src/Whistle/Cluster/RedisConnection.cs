using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Whistle.Data;

namespace Whistle.Cluster;

/// <summary>
/// The one Redis connection of this process, when Whistle:Redis:ConnectionString is set (a singleton; it reconnects
/// by itself). <see cref="Configured"/> false means a single node: callers keep their in-process behaviour.
/// </summary>
public sealed class RedisConnection(IOptions<WhistleOptions> options) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _mux = new(() =>
    {
        var config = ConfigurationOptions.Parse(options.Value.Redis.ConnectionString!);
        config.AbortOnConnectFail = false; // a Redis restarting must not take the node down; commands fail until it is back
        config.ClientName = "whistle";
        return ConnectionMultiplexer.Connect(config);
    });

    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.Redis.ConnectionString);
    public string Prefix => options.Value.Redis.Prefix;

    /// <summary>The multiplexer (connects on first use). Throws when Redis is not configured.</summary>
    public ConnectionMultiplexer Multiplexer => Configured
        ? _mux.Value
        : throw new InvalidOperationException("Whistle:Redis:ConnectionString is not set.");

    /// <summary>A key or channel name under this network's prefix.</summary>
    public string Key(string name) => Prefix + ":" + name;

    public void Dispose()
    {
        if (_mux.IsValueCreated) _mux.Value.Dispose();
    }
}

public static class ClusterSetup
{
    /// <summary>What nodes share: the Redis connection (when configured). Features add their own parts (bus, limits, paces).</summary>
    public static WebApplicationBuilder AddCluster(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RedisConnection>();
        builder.Services.AddSingleton<SharedLimits>(); // rate limits and sending paces all nodes share (decision 0046)
        return builder;
    }
}
