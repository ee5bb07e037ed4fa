namespace Whistle.Delivery;

public enum DeliveryState { Pending, Sent, Failed, Dead }

/// <summary>
/// One message to one subscriber: the outbox row. Alert deliveries are written in the same
/// transaction as the alert and are unique per (alert, subscriber); direct messages (codes,
/// notices) carry their own <see cref="Body"/>. The relay sends what is pending or due for retry.
/// </summary>
public class Delivery
{
    public long Id { get; set; }
    public Guid? AlertId { get; set; }
    public long SubscriberId { get; set; }
    /// <summary>Lower goes first: cancels and retractions, then direct messages, then alerts.</summary>
    public int Priority { get; set; }
    public DeliveryState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
    public string? Body { get; set; }

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
