using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Identity;

namespace Whistle.Cluster;

/// <summary>
/// What listens on the <see cref="LiveBus"/>: each per-process copy of database state that another node's change makes
/// stale. Subscribed when the host starts (before the first request), so a node in the load balancer already hears.
/// <list type="bullet">
/// <item><see cref="LiveBus.Topics.AlertsChanged"/> → the public SSE feed rebuilds now (<see cref="PublicAlertsFeed.Wake"/>).</item>
/// <item><see cref="LiveBus.Topics.ZonesChanged"/> → the zone registry reloads if the database's zones stamp moved.</item>
/// <item><see cref="LiveBus.Topics.OutboxPoke"/> → this node's relay lanes wake (another node enqueued deliveries).</item>
/// <item><see cref="LiveBus.Topics.StaffChanged"/> → this node's open hub connections are checked against the database now.</item>
/// </list>
/// </summary>
public sealed class LiveWiring(LiveBus bus, PublicAlertsFeed feed, DeliverySignal signal, LiveSweep sweep, ZoneRegistry zones,
    IServiceScopeFactory scopes, TimeProvider time, ILogger<LiveWiring> log) : IHostedService
{
    private readonly List<IDisposable> _subscriptions = [];
    private readonly CancellationTokenSource _stop = new();

    public Task StartAsync(CancellationToken ct)
    {
        lock (_subscriptions) Subscribe();
        return Task.CompletedTask;
    }

    private void Subscribe()
    {
        _subscriptions.Add(bus.Subscribe(LiveBus.Topics.AlertsChanged, _ => feed.Wake()));
        _subscriptions.Add(bus.Subscribe(LiveBus.Topics.OutboxPoke, from =>
        {
            if (from != bus.NodeId) signal.PokeHere(); // this node's own lanes were woken when it enqueued
        }));
        _subscriptions.Add(bus.Subscribe(LiveBus.Topics.ZonesChanged, _ => Background(async stop =>
        {
            await using var scope = scopes.CreateAsyncScope();
            if (await zones.ReloadIfChangedAsync(scope.ServiceProvider.GetRequiredService<WhistleDb>(), stop))
                log.LogInformation("Zones changed on another node: reloaded");
        })));
        _subscriptions.Add(bus.Subscribe(LiveBus.Topics.StaffChanged, _ => Background(async stop =>
        {
            await sweep.SweepAsync(stop);
            // Once more a moment later, for a change whose transaction committed just after it was announced.
            await Task.Delay(TimeSpan.FromSeconds(1), time, stop);
            await sweep.SweepAsync(stop);
        })));
    }

    private void Background(Func<CancellationToken, Task> work) => _ = Task.Run(async () =>
    {
        try { await work(_stop.Token); }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception ex) { log.LogError(ex, "Live bus: acting on a message failed; the periodic check catches up"); }
    });

    public Task StopAsync(CancellationToken ct)
    {
        _stop.Cancel();
        // A host may be stopped twice at once (a test's factory disposing while the host shuts down): take the list once.
        IDisposable[] taken;
        lock (_subscriptions)
        {
            taken = [.. _subscriptions];
            _subscriptions.Clear();
        }
        foreach (var s in taken) s.Dispose();
        return Task.CompletedTask;
    }
}

public static class LiveBusSetup
{
    /// <summary>
    /// The bus, its listeners, and SignalR (the one place it is added): with Whistle:Redis:ConnectionString set, hub
    /// messages go through Redis (channels under "{prefix}:signalr:"), so a console on any node hears what any node sends.
    /// </summary>
    public static WebApplicationBuilder AddLiveBus(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LiveBus>();
        builder.Services.AddHostedService<LiveWiring>();
        var signalR = builder.Services.AddSignalR(o => o.AddFilter<LiveConnectionFilter>()).AddJsonProtocol(o =>
        {
            o.PayloadSerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            o.PayloadSerializerOptions.Converters.Add(Platform.PlatformSetup.EnumsAsSnakeCase);
        });
        var redis = builder.Configuration["Whistle:Redis:ConnectionString"];
        if (!string.IsNullOrWhiteSpace(redis))
        {
            var prefix = builder.Configuration["Whistle:Redis:Prefix"] is { Length: > 0 } p ? p : new RedisOptions().Prefix;
            signalR.AddStackExchangeRedis(redis, o =>
            {
                o.Configuration.ChannelPrefix = RedisChannel.Literal(prefix + ":signalr:");
                o.Configuration.AbortOnConnectFail = false;
                o.Configuration.ClientName = "whistle-signalr";
            });
        }
        return builder;
    }
}
