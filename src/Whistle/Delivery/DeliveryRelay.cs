using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Privacy;
using Whistle.Subscriptions;

namespace Whistle.Delivery;

/// <summary>
/// Wakes every channel's lane as soon as something is enqueued, instead of at the next poll — this node's at once, and
/// with Redis every other node's through the live bus (<see cref="Cluster.LiveBus.Topics.OutboxPoke"/>).
/// </summary>
public sealed class DeliverySignal(Cluster.LiveBus? bus = null)
{
    private readonly Channel<bool>[] _lanes = Enum.GetValues<SubscriberChannel>()
        .Select(_ => Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite }))
        .ToArray();
    private int _announcing;

    public void Poke()
    {
        PokeHere();
        if (bus is not { Clustered: true }) return;
        // Pokes that come while an announcement waits for a thread ride on it, so a burst costs a few PUBLISHes, not one
        // each; the flag drops before the publish, so a poke after that announces again (nothing enqueued goes unannounced).
        if (Interlocked.Exchange(ref _announcing, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            Volatile.Write(ref _announcing, 0);
            await bus.PublishAsync(Cluster.LiveBus.Topics.OutboxPoke, bus.NodeId);
        });
    }

    /// <summary>Wakes this node's lanes only (another node enqueued).</summary>
    public void PokeHere()
    {
        foreach (var lane in _lanes) lane.Writer.TryWrite(true);
    }

    public async Task WaitAsync(SubscriberChannel lane, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try { await _lanes[(int)lane].Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
    }
}

/// <summary>
/// The outbox relay: one lane per channel, so slow SMS never holds back e-mail or push. Each lane
/// claims a batch of due deliveries with a lease, sends them with bounded concurrency at the
/// channel's pace, and records outcomes as they come in (at least once a second, so a crash repeats
/// at most what was in flight). Anything not marked sent — a crash, a timeout, a provider error — is
/// claimed again when its lease or backoff runs out, so nothing enqueued is lost.
/// </summary>
public sealed class DeliveryRelay(
    IServiceScopeFactory scopes,
    DeliverySignal signal,
    IMessageSender sender,
    DeliveryRates rates,
    KeyRing keys,
    TimeProvider time,
    IOptions<WhistleOptions> options,
    Platform.WhistleMetrics metrics,
    Platform.RelayHeartbeat heartbeat,
    ILogger<DeliveryRelay> log) : BackgroundService
{
    /// <summary>How often outcomes are written while a batch is still sending.</summary>
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);
    private readonly Random _jitter = new();

    protected override Task ExecuteAsync(CancellationToken stop)
    {
        heartbeat.Start(heartbeat.Now); // /healthz/ready: every lane counts as alive until its first pass is due
        return Task.WhenAll(Enum.GetValues<SubscriberChannel>().Select(c => Task.Run(() => LaneAsync(c, stop), stop)));
    }

    private async Task LaneAsync(SubscriberChannel channel, CancellationToken stop)
    {
        var o = options.Value.Delivery;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                while (!stop.IsCancellationRequested && await RunOnceAsync(channel, stop) > 0) heartbeat.Beat(channel, heartbeat.Now);
                heartbeat.Beat(channel, heartbeat.Now);
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                log.LogError(ex, "Delivery lane {Channel} failed; retrying at the next poll", channel);
            }
            await signal.WaitAsync(channel, TimeSpan.FromMilliseconds(o.PollMilliseconds), stop);
        }
    }

    /// <summary>One batch on every channel: returns how many deliveries were handled.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        int n = 0;
        foreach (var c in Enum.GetValues<SubscriberChannel>()) n += await RunOnceAsync(c, ct);
        return n;
    }

    private sealed record Addressee(long Id, SubscriberChannel Channel, byte[]? AddressCipher, byte[]? SecretCipher, string Language, SubscriberState State);

    /// <summary>One batch on one channel: returns how many deliveries were handled.</summary>
    public async Task<int> RunOnceAsync(SubscriberChannel channel, CancellationToken ct)
    {
        var o = options.Value.Delivery;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var lease = TimeSpan.FromSeconds(o.LeaseSeconds);
        var batch = await DeliveryStore.ClaimAsync(db, channel, rates.BatchSize(channel), time.GetUtcNow(), lease, ct);
        if (batch.Count == 0) return 0;

        var subscriberIds = batch.Select(w => w.SubscriberId).Distinct().ToList();
        var subscribers = await db.Subscribers.AsNoTracking().Where(s => subscriberIds.Contains(s.Id))
            .Select(s => new Addressee(s.Id, s.Channel, s.AddressCipher, s.SecretCipher, s.Language, s.State))
            .ToDictionaryAsync(s => s.Id, ct);
        var alertSeqs = batch.Where(w => w.AlertSeq != null).Select(w => w.AlertSeq!.Value).Distinct().ToList();
        var alerts = await db.Alerts.AsNoTracking().Where(a => alertSeqs.Contains(a.Seq)).ToDictionaryAsync(a => a.Seq, ct);

        // Workers only send; this loop alone touches the database: it writes outcomes as they arrive
        // and keeps the lease on what is still to go.
        var outcomes = new ConcurrentQueue<(Work Work, SendResult Result)>();
        var unsent = new ConcurrentDictionary<Work, byte>(batch.Select(w => KeyValuePair.Create(w, (byte)0)));
        var reencrypt = new ConcurrentDictionary<long, byte[]>();
        var sending = Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = rates.Concurrency(channel), CancellationToken = ct },
            async (w, token) =>
            {
                var result = await SendOneAsync(w, channel, subscribers.GetValueOrDefault(w.SubscriberId),
                    w.AlertSeq is { } seq ? alerts.GetValueOrDefault(seq) : null, reencrypt, token);
                outcomes.Enqueue((w, result));
                unsent.TryRemove(w, out _);
            });
        var renewed = time.GetUtcNow();
        while (!sending.IsCompleted)
        {
            await Task.WhenAny(sending, Task.Delay(FlushEvery, time, ct));
            await FlushAsync(db, channel, outcomes, alerts, ct);
            var now = time.GetUtcNow();
            heartbeat.Beat(channel, heartbeat.Now); // a long paced batch is a lane at work, not a stuck one
            // A paced channel can make a batch outlast its lease: hold what is still to go, so no other
            // relay takes a row this one is going to send.
            if (now - renewed > lease / 4 && !unsent.IsEmpty)
            {
                await RenewAsync(db, unsent.Keys.ToList(), now + lease, ct);
                renewed = now;
            }
        }
        await sending;
        await FlushAsync(db, channel, outcomes, alerts, ct);
        // Lazy key rotation: an address read under an old key is written back under the current one.
        foreach (var (id, cipher) in reencrypt)
            await db.Subscribers.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.AddressCipher, cipher), ct);
        return batch.Count;
    }

    private async Task<SendResult> SendOneAsync(Work w, SubscriberChannel channel, Addressee? sub, Alert? alert,
        ConcurrentDictionary<long, byte[]> reencrypt, CancellationToken ct)
    {
        if (sub?.AddressCipher is null) return SendResult.Reject("no address on file");
        var now = time.GetUtcNow();
        string text;
        if (w.AlertSeq is not null)
        {
            string? skip = alert is null ? "alert not found"
                : sub.State != SubscriberState.Confirmed ? "subscriber is no longer subscribed"
                : alert.CancelledAt is not null ? "alert was cancelled before it was sent"
                : alert.Kind != AlertKind.Cancel && now >= alert.ExpiresAt ? "alert expired before it was sent"
                : null;
            if (skip is not null) return SendResult.Reject(skip);
            text = alert!.Messages.GetValueOrDefault(sub.Language) ?? alert.Messages["en"];
        }
        else
        {
            text = w.Body ?? "";
        }

        string address;
        string? secret;
        try
        {
            address = keys.Decrypt(sub.AddressCipher, Purpose.SubscriberAddress);
            secret = sub.SecretCipher is null ? null : keys.Decrypt(sub.SecretCipher, Purpose.SubscriberSecret);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // A key missing from the ring or a damaged value: say so once, do not retry forever.
            return SendResult.Reject("address cannot be decrypted with the configured keys");
        }
        if (!keys.IsCurrent(sub.AddressCipher)) reencrypt.TryAdd(sub.Id, keys.Encrypt(address, Purpose.SubscriberAddress));

        try
        {
            var result = await sender.SendAsync(new OutgoingMessage(w.Reference, alert, sub.Id, sub.Channel, address, sub.Language, text, secret), ct);
            if (!result.Ok) metrics.ProviderError(channel);
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            metrics.ProviderError(channel);
            return SendResult.Retry(ex.GetType().Name);
        }
    }

    private async Task FlushAsync(WhistleDb db, SubscriberChannel channel, ConcurrentQueue<(Work Work, SendResult Result)> outcomes,
        Dictionary<long, Alert> alerts, CancellationToken ct)
    {
        var sent = new List<Work>();
        var now = time.GetUtcNow();
        while (outcomes.TryDequeue(out var o))
        {
            if (o.Result.Ok) sent.Add(o.Work);
            else await FinishAsync(db, channel, o.Work, o.Result, now, ct);
        }
        await MarkSentAsync(db, sent, now, ct);
        metrics.Delivered(channel, DeliveryState.Sent, sent.Count(w => w.AlertSeq is not null));
        await FirstThousandAsync(db, sent.Where(w => w.AlertSeq is not null).Select(w => w.AlertSeq!.Value).Distinct(), alerts, now, ct);
    }

    /// <summary>
    /// The moment an alert's 1,000th recipient (or its last, when fewer) is handed over: recorded on the alert by a
    /// conditional update, so of several relays (and <see cref="AlertProgress"/>) exactly one feeds the histogram.
    /// Counting stops at 1,000 rows, and an alert already past it is not looked at again.
    /// </summary>
    private async Task FirstThousandAsync(WhistleDb db, IEnumerable<long> alertSeqs, Dictionary<long, Alert> alerts, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var seq in alertSeqs)
        {
            if (!alerts.TryGetValue(seq, out var alert) || alert.FirstThousandAt is not null || alert.Recipients <= 0) continue;
            int n = Math.Min(1000, alert.Recipients);
            if (await db.Deliveries.Where(d => d.AlertSeq == seq && d.State == DeliveryState.Sent).Take(n).CountAsync(ct) < n) continue;
            if (await db.Alerts.Where(a => a.Seq == seq && a.FirstThousandAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.FirstThousandAt, now), ct) == 1)
                metrics.FirstThousand(now - alert.SentAt);
            alert.FirstThousandAt = now;
        }
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

    private async Task FinishAsync(WhistleDb db, SubscriberChannel channel, Work w, SendResult result, DateTimeOffset now, CancellationToken ct)
    {
        int attempts = w.Attempts + 1;
        bool dead = result.Permanent || attempts >= Delivery.MaxAttempts;
        var state = dead ? DeliveryState.Dead : DeliveryState.Failed;
        if (w.AlertSeq is not null) metrics.Delivered(channel, state);
        if (!dead) metrics.Retry(channel);
        // Exponential backoff with jitter, but never sooner than the provider asked (Retry-After).
        TimeSpan wait;
        lock (_jitter) wait = Delivery.Backoff(attempts, _jitter);
        if (result.RetryAfter is { } asked && asked > wait) wait = asked;
        var next = now + wait;
        var error = result.Error is { Length: > 200 } e ? e[..200] : result.Error;
        log.LogWarning("Delivery {Reference} {Outcome} after {Attempts} attempt(s): {Error}", w.Reference, dead ? "dead" : "failed", attempts, error);
        if (result.Gone)
        {
            // The browser or service dropped this address for good: stop sending to it, keep nothing of it.
            await db.Subscribers.Where(s => s.Id == w.SubscriberId).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.State, SubscriberState.Unsubscribed)
                .SetProperty(s => s.AddressCipher, (byte[]?)null)
                .SetProperty(s => s.SecretCipher, (byte[]?)null)
                .SetProperty(s => s.ChangedAt, now), ct);
        }
        if (w.MessageId is { } id)
            await db.Messages.Where(m => m.Id == id).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.State, state)
                .SetProperty(m => m.Attempts, attempts)
                .SetProperty(m => m.NextAttemptAt, next)
                .SetProperty(m => m.LastError, error)
                .SetProperty(m => m.Body, m => dead ? null : m.Body)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), ct);
        else
            await db.Deliveries.Where(d => d.AlertSeq == w.AlertSeq && d.SubscriberId == w.SubscriberId).ExecuteUpdateAsync(u => u
                .SetProperty(d => d.State, state)
                .SetProperty(d => d.Attempts, attempts)
                .SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.LastError, error)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), ct);
    }
}

/// <summary>
/// A token bucket of one: callers go one at a time, each waiting until the slot after the previous
/// caller's, and the next slot is counted from when this one actually went (after any late wake-up),
/// so no one-second window carries more than the rate however many workers call at once. A provider's
/// limit is in real seconds, so this paces by the wall clock, whatever clock the rest of the app is given.
/// </summary>
public sealed class Pace
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;

    /// <summary>When the next caller may go (for choosing the least busy of several).</summary>
    public DateTimeOffset NextFree => _nextFree;

    public async Task AcquireAsync(double perSecond, CancellationToken ct, int units = 1)
    {
        var time = TimeProvider.System;
        await _turn.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            if (_nextFree > now) await Task.Delay(_nextFree - now, time, ct);
            _nextFree = time.GetUtcNow() + TimeSpan.FromSeconds(units / Math.Max(0.01, perSecond));
        }
        finally
        {
            _turn.Release();
        }
    }
}

public static class DeliverySetup
{
    public static WebApplicationBuilder AddDelivery(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeliverySignal>();
        builder.Services.AddSingleton<DeliveryRates>();
        builder.Services.AddSingleton(sp => new SmsCountries(sp.GetRequiredService<IOptions<WhistleOptions>>().Value.Sms.AllowedCountries));
        builder.Services.AddSingleton<DevOutboxSender>();
        builder.Services.AddSingleton<Sms.SenderPool>();
        builder.Services.AddHttpClient<Sms.TwilioSmsSender>((sp, c) =>
            c.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<WhistleOptions>>().Value.Sms.Twilio.TimeoutSeconds));
        builder.Services.AddSingleton<Email.EmailSender>();
        // A webhook URL and a push endpoint are subscribers' addresses: the HTTP clients' own logs (which
        // name the URL) are off, neither follows a redirect, and neither connects to a private network.
        builder.Services.AddHttpClient<Webhooks.WebhookSender>((sp, c) =>
                c.Timeout = TimeSpan.FromSeconds(Math.Max(1, sp.GetRequiredService<IOptions<WhistleOptions>>().Value.Webhooks.TimeoutSeconds)))
            .ConfigurePrimaryHttpMessageHandler(sp => SubscriberEndpoints.Handler(sp.GetRequiredService<IOptions<WhistleOptions>>().Value.Delivery.AllowPrivateNetworks))
            .RemoveAllLoggers();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<WhistleOptions>>().Value;
            return Push.VapidKeys.Load(o.Push.VapidKeys, Path.Combine(o.DataPath, Push.VapidKeys.FileName));
        });
        builder.Services.AddHttpClient<Push.WebPushSender>(c => c.Timeout = Push.WebPushSender.Timeout)
            .ConfigurePrimaryHttpMessageHandler(sp => SubscriberEndpoints.Handler(sp.GetRequiredService<IOptions<WhistleOptions>>().Value.Delivery.AllowPrivateNetworks))
            .RemoveAllLoggers();
        builder.Services.AddSingleton<IMessageSender, ChannelRouter>();
        builder.Services.AddSingleton<DeliveryRelay>();
        // A node may serve the API without sending (Whistle:Delivery:Enabled=false) while others relay.
        if (builder.Configuration.GetValue("Whistle:Delivery:Enabled", true))
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DeliveryRelay>());
        return builder;
    }
}
