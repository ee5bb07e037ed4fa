using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Delivery;

/// <summary>Wakes the relay as soon as something is enqueued, instead of at the next poll.</summary>
public sealed class DeliverySignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Poke() => _channel.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try { await _channel.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
    }
}

/// <summary>
/// The outbox relay: claims due deliveries with a lease, hands each to the sender for its
/// channel, and records the outcome. Anything not marked sent — a crash, a timeout, a provider
/// error — is claimed again when its lease or backoff runs out, so nothing enqueued is lost.
/// </summary>
public sealed class DeliveryRelay(
    IServiceScopeFactory scopes,
    DeliverySignal signal,
    IMessageSender sender,
    KeyRing keys,
    TimeProvider time,
    IOptions<WhistleOptions> options,
    ILogger<DeliveryRelay> log) : BackgroundService
{
    private readonly Random _jitter = new();

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var o = options.Value.Delivery;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                while (!stop.IsCancellationRequested && await RunOnceAsync(stop) > 0) { }
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                log.LogError(ex, "Delivery relay pass failed; retrying at the next poll");
            }
            await signal.WaitAsync(TimeSpan.FromMilliseconds(o.PollMilliseconds), stop);
        }
    }

    /// <summary>One batch: returns how many deliveries were handled.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value.Delivery;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var now = time.GetUtcNow();
        var batch = await DeliveryStore.ClaimAsync(db, o.BatchSize, now, TimeSpan.FromSeconds(o.LeaseSeconds), ct);
        if (batch.Count == 0) return 0;

        var subscriberIds = batch.Select(d => d.SubscriberId).Distinct().ToList();
        var subscribers = await db.Subscribers.AsNoTracking().Where(s => subscriberIds.Contains(s.Id))
            .Select(s => new { s.Id, s.Channel, s.AddressCipher, s.Language, s.State })
            .ToDictionaryAsync(s => s.Id, ct);
        var alertSeqs = batch.Where(d => d.AlertSeq != null).Select(d => d.AlertSeq!.Value).Distinct().ToList();
        var alerts = await db.Alerts.AsNoTracking().Where(a => alertSeqs.Contains(a.Seq)).ToDictionaryAsync(a => a.Seq, ct);

        var sent = new List<long>();
        var reencrypt = new Dictionary<long, byte[]>();
        foreach (var d in batch)
        {
            now = time.GetUtcNow();
            if (!subscribers.TryGetValue(d.SubscriberId, out var sub) || sub.AddressCipher is null)
            {
                await FinishAsync(db, d, SendResult.Reject("no address on file"), now, ct);
                continue;
            }
            string text;
            Alert? alert = null;
            if (d.AlertSeq is { } alertSeq)
            {
                alert = alerts.GetValueOrDefault(alertSeq);
                string? skip = alert is null ? "alert not found"
                    : sub.State != SubscriberState.Confirmed ? "subscriber is no longer subscribed"
                    : alert.CancelledAt is not null ? "alert was cancelled before it was sent"
                    : alert.Kind != AlertKind.Cancel && now >= alert.ExpiresAt ? "alert expired before it was sent"
                    : null;
                if (skip is not null)
                {
                    await FinishAsync(db, d, SendResult.Reject(skip), now, ct);
                    continue;
                }
                text = alert!.Messages.GetValueOrDefault(sub.Language) ?? alert.Messages["en"];
            }
            else
            {
                text = d.Body ?? "";
            }

            string address;
            try
            {
                address = keys.Decrypt(sub.AddressCipher, Purpose.SubscriberAddress);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // A key missing from the ring or a damaged value: say so once, do not retry forever.
                await FinishAsync(db, d, SendResult.Reject("address cannot be decrypted with the configured keys"), now, ct);
                continue;
            }
            if (!keys.IsCurrent(sub.AddressCipher) && !reencrypt.ContainsKey(sub.Id))
                reencrypt[sub.Id] = keys.Encrypt(address, Purpose.SubscriberAddress);

            SendResult result;
            try
            {
                result = await sender.SendAsync(new OutgoingMessage(d.Id, alert?.Id, sub.Channel, address, sub.Language, text), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                result = SendResult.Retry(ex.GetType().Name);
            }
            if (result.Ok) sent.Add(d.Id);
            else await FinishAsync(db, d, result, now, ct);
        }

        if (sent.Count > 0)
        {
            now = time.GetUtcNow();
            await db.Deliveries.Where(d => sent.Contains(d.Id)).ExecuteUpdateAsync(u => u
                .SetProperty(d => d.State, DeliveryState.Sent)
                .SetProperty(d => d.SentAt, now)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1)
                .SetProperty(d => d.Body, (string?)null) // a sent code is not kept
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), ct);
        }
        // Lazy key rotation: an address read under an old key is written back under the current one.
        foreach (var (id, cipher) in reencrypt)
            await db.Subscribers.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.AddressCipher, cipher), ct);
        return batch.Count;
    }

    private Task FinishAsync(WhistleDb db, Delivery d, SendResult result, DateTimeOffset now, CancellationToken ct)
    {
        int attempts = d.Attempts + 1;
        bool dead = result.Permanent || attempts >= Delivery.MaxAttempts;
        var next = now + Delivery.Backoff(attempts, _jitter);
        var error = result.Error is { Length: > 200 } e ? e[..200] : result.Error;
        log.LogWarning("Delivery {DeliveryId} {Outcome} after {Attempts} attempt(s): {Error}", d.Id, dead ? "dead" : "failed", attempts, error);
        return db.Deliveries.Where(x => x.Id == d.Id).ExecuteUpdateAsync(u => u
            .SetProperty(x => x.State, dead ? DeliveryState.Dead : DeliveryState.Failed)
            .SetProperty(x => x.Attempts, attempts)
            .SetProperty(x => x.NextAttemptAt, next)
            .SetProperty(x => x.LastError, error)
            .SetProperty(x => x.Body, x => dead ? null : x.Body)
            .SetProperty(x => x.LeaseUntil, (DateTimeOffset?)null), ct);
    }
}

public static class DeliverySetup
{
    public static WebApplicationBuilder AddDelivery(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeliverySignal>();
        builder.Services.AddSingleton<IMessageSender, DevOutboxSender>();
        builder.Services.AddSingleton<DeliveryRelay>();
        // A node may serve the API without sending (Whistle:Delivery:Enabled=false) while others relay.
        if (builder.Configuration.GetValue("Whistle:Delivery:Enabled", true))
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DeliveryRelay>());
        return builder;
    }
}
