using Whistle.Subscriptions;

namespace Whistle.Delivery;

public enum DeliveryState { Pending, Sent, Failed, Dead }

/// <summary>
/// One alert to one subscriber: the outbox row, keyed by (alert, subscriber) so no one is messaged
/// twice. Written in the same transaction as the alert; the relay sends what is pending or due for
/// retry. (On SQLite the table is WITHOUT ROWID: the key is the table, one B-tree, appended in order.)
/// </summary>
public class Delivery
{
    /// <summary>The alert's <see cref="Alerts.Alert.Seq"/>.</summary>
    public long AlertSeq { get; set; }
    public long SubscriberId { get; set; }
    /// <summary>The subscriber's channel, copied here so each channel's lane claims only its own rows.</summary>
    public SubscriberChannel Channel { get; set; }
    /// <summary>Lower goes first: cancels and retractions, then direct messages, then alerts.</summary>
    public int Priority { get; set; }
    public DeliveryState State { get; set; }
    public int Attempts { get; set; }
    /// <summary>When a retry or a direct message is due; null on a fan-out row not yet tried (its fan-out orders it).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>The provider's final word, from its status callback (delivered, undelivered, failed).</summary>
    public string? ProviderStatus { get; set; }

    public const int PriorityCancel = 0;
    public const int PriorityDirect = 1;
    public const int PriorityAlert = 2;
    public const int MaxAttempts = 6;

    /// <summary>Exponential backoff with full jitter: ~2 s, 4 s, 8 s … capped at 5 minutes.</summary>
    public static TimeSpan Backoff(int attempts, Random random)
    {
        double cap = Math.Min(300, Math.Pow(2, Math.Clamp(attempts, 1, 16)));
        return TimeSpan.FromSeconds(cap / 2 + random.NextDouble() * cap / 2);
    }
}

/// <summary>
/// How far one channel's lane has got through one alert's deliveries. Delivery rows are written in
/// subscriber order (so the unique (alert, subscriber) index only ever appends — that is what makes
/// a million-row fan-out fast); the order in which to send them is the <see cref="FanoutOrder"/>,
/// read a batch at a time from <see cref="Cursor"/>. The order lives in its own table: moving the
/// cursor rewrites this small row, never the megabytes of the order.
/// </summary>
public class Fanout
{
    public Guid AlertId { get; set; }
    public SubscriberChannel Channel { get; set; }
    public long AlertSeq { get; set; }
    public int Priority { get; set; }
    public int Total { get; set; }
    public int Cursor { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When a lane last took a slice: of fan-outs of equal priority the least recently served goes next.</summary>
    public DateTimeOffset? ClaimedAt { get; set; }
}

/// <summary>One alert's recipients on one channel, nearest first: subscriber ids as little-endian 64-bit integers.</summary>
public class FanoutOrder
{
    public Guid AlertId { get; set; }
    public SubscriberChannel Channel { get; set; }
    public byte[] Recipients { get; set; } = [];
}

/// <summary>
/// A message that is not an alert — a confirmation code, an unsubscribe notice — in the outbox,
/// written in the transaction of the change that caused it. Its text is wiped once sent.
/// </summary>
public class DirectMessage
{
    public long Id { get; set; }
    public long SubscriberId { get; set; }
    public SubscriberChannel Channel { get; set; }
    public string? Body { get; set; }
    public DeliveryState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
    public string? ProviderStatus { get; set; }
}
