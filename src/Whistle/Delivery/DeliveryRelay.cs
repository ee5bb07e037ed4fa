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

        var subscriberIds = batch.Select(w => w.SubscriberId).Distinct().ToList();
        var subscribers = await db.Subscribers.AsNoTracking().Where(s => subscriberIds.Contains(s.Id))
            .Select(s => new { s.Id, s.Channel, s.AddressCipher, s.Language, s.State })
            .ToDictionaryAsync(s => s.Id, ct);
        var alertSeqs = batch.Where(w => w.AlertSeq != null).Select(w => w.AlertSeq!.Value).Distinct().ToList();
        var alerts = await db.Alerts.AsNoTracking().Where(a => alertSeqs.Contains(a.Seq)).ToDictionaryAsync(a => a.Seq, ct);

        var sent = new List<Work>();
        var reencrypt = new Dictionary<long, byte[]>();
        var lease = TimeSpan.FromSeconds(o.LeaseSeconds);
        var checkpoint = time.GetUtcNow();
        for (int i = 0; i < batch.Count; i++)
        {
            var w = batch[i];
            now = time.GetUtcNow();
            // A paced channel can make a batch outlast its lease: record what went out and hold the
            // rest, so no other relay takes a row this one is still going to send.
            if (now - checkpoint > lease / 4)
            {
                await MarkSentAsync(db, sent, now, ct);
                sent.Clear();
                await RenewAsync(db, batch.Skip(i).ToList(), now + lease, ct);
                checkpoint = now;
            }
            if (!subscribers.TryGetValue(w.SubscriberId, out var sub) || sub.AddressCipher is null)
            {
                await FinishAsync(db, w, SendResult.Reject("no address on file"), now, ct);
                continue;
            }
            string text;
            Alert? alert = null;
            if (w.AlertSeq is { } alertSeq)
            {
                alert = alerts.GetValueOrDefault(alertSeq);
                string? skip = alert is null ? "alert not found"
                    : sub.State != SubscriberState.Confirmed ? "subscriber is no longer subscribed"
                    : alert.CancelledAt is not null ? "alert was cancelled before it was sent"
                    : alert.Kind != AlertKind.Cancel && now >= alert.ExpiresAt ? "alert expired before it was sent"
                    : null;
                if (skip is not null)
                {
                    await FinishAsync(db, w, SendResult.Reject(skip), now, ct);
                    continue;
                }
                text = alert!.Messages.GetValueOrDefault(sub.Language) ?? alert.Messages["en"];
            }
            else
            {
                text = w.Body ?? "";
            }

            string address;
            try
            {
                address = keys.Decrypt(sub.AddressCipher, Purpose.SubscriberAddress);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // A key missing from the ring or a damaged value: say so once, do not retry forever.
                await FinishAsync(db, w, SendResult.Reject("address cannot be decrypted with the configured keys"), now, ct);
                continue;
            }
            if (!keys.IsCurrent(sub.AddressCipher) && !reencrypt.ContainsKey(sub.Id))
                reencrypt[sub.Id] = keys.Encrypt(address, Purpose.SubscriberAddress);

            SendResult result;
            try
            {
                result = await sender.SendAsync(new OutgoingMessage(w.Reference, alert?.Id, sub.Channel, address, sub.Language, text), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                result = SendResult.Retry(ex.GetType().Name);
            }
            if (result.Ok) sent.Add(w);
            else await FinishAsync(db, w, result, now, ct);
        }

        await MarkSentAsync(db, sent, time.GetUtcNow(), ct);
        // Lazy key rotation: an address read under an old key is written back under the current one.
        foreach (var (id, cipher) in reencrypt)
            await db.Subscribers.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.AddressCipher, cipher), ct);
        return batch.Count;
    }

    private static async Task MarkSentAsync(WhistleDb db, List<Work> sent, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var group in sent.Where(w => w.AlertSeq is not null).GroupBy(w => w.AlertSeq!.Value))
        {
            var ids = group.Select(w => w.SubscriberId).ToList();
            // A provider's callback may already have given its final word; it is not overwritten.
            await db.Deliveries.Where(d => d.AlertSeq == group.Key && ids.Contains(d.SubscriberId) && d.ProviderStatus == null).ExecuteUpdateAsync(u => u
                .SetProperty(d => d.State, DeliveryState.Sent)
                .SetProperty(d => d.SentAt, now)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), ct);
        }
        var messageIds = sent.Where(w => w.MessageId is not null).Select(w => w.MessageId!.Value).ToList();
        if (messageIds.Count > 0)
            await db.Messages.Where(m => messageIds.Contains(m.Id) && m.ProviderStatus == null).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.State, DeliveryState.Sent)
                .SetProperty(m => m.SentAt, now)
                .SetProperty(m => m.Attempts, m => m.Attempts + 1)
                .SetProperty(m => m.Body, (string?)null) // a sent code is not kept
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), ct);
    }

    private static async Task RenewAsync(WhistleDb db, List<Work> rest, DateTimeOffset until, CancellationToken ct)
    {
        foreach (var group in rest.Where(w => w.AlertSeq is not null).GroupBy(w => w.AlertSeq!.Value))
        {
            var ids = group.Select(w => w.SubscriberId).ToList();
            await db.Deliveries.Where(d => d.AlertSeq == group.Key && ids.Contains(d.SubscriberId) && d.LeaseUntil != null)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.LeaseUntil, until), ct);
        }
        var messageIds = rest.Where(w => w.MessageId is not null).Select(w => w.MessageId!.Value).ToList();
        if (messageIds.Count > 0)
            await db.Messages.Where(m => messageIds.Contains(m.Id) && m.LeaseUntil != null)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseUntil, until), ct);
    }

    private Task FinishAsync(WhistleDb db, Work w, SendResult result, DateTimeOffset now, CancellationToken ct)
    {
        int attempts = w.Attempts + 1;
        bool dead = result.Permanent || attempts >= Delivery.MaxAttempts;
        var state = dead ? DeliveryState.Dead : DeliveryState.Failed;
        // Exponential backoff with jitter, but never sooner than the provider asked (Retry-After).
        var wait = Delivery.Backoff(attempts, _jitter);
        if (result.RetryAfter is { } asked && asked > wait) wait = asked;
        var next = now + wait;
        var error = result.Error is { Length: > 200 } e ? e[..200] : result.Error;
        log.LogWarning("Delivery {Reference} {Outcome} after {Attempts} attempt(s): {Error}", w.Reference, dead ? "dead" : "failed", attempts, error);
        if (w.MessageId is { } id)
            return db.Messages.Where(m => m.Id == id).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.State, state)
                .SetProperty(m => m.Attempts, attempts)
                .SetProperty(m => m.NextAttemptAt, next)
                .SetProperty(m => m.LastError, error)
                .SetProperty(m => m.Body, m => dead ? null : m.Body)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), ct);
        return db.Deliveries.Where(d => d.AlertSeq == w.AlertSeq && d.SubscriberId == w.SubscriberId).ExecuteUpdateAsync(u => u
            .SetProperty(d => d.State, state)
            .SetProperty(d => d.Attempts, attempts)
            .SetProperty(d => d.NextAttemptAt, next)
            .SetProperty(d => d.LastError, error)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), ct);
    }
}

public static class DeliverySetup
{
    public static WebApplicationBuilder AddDelivery(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeliverySignal>();
        builder.Services.AddSingleton<DevOutboxSender>();
        builder.Services.AddSingleton<Sms.SenderPool>();
        builder.Services.AddHttpClient<Sms.TwilioSmsSender>(c => c.Timeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton<IMessageSender, ChannelRouter>();
        builder.Services.AddSingleton<DeliveryRelay>();
        // A node may serve the API without sending (Whistle:Delivery:Enabled=false) while others relay.
        if (builder.Configuration.GetValue("Whistle:Delivery:Enabled", true))
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DeliveryRelay>());
        return builder;
    }
}
