using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Delivery.Sms;

/// <summary>
/// The SMS sending numbers and the pace each may send at (Whistle:Sms:Twilio:MessagesPerSecond: about
/// 1 for a 10DLC long code, 100 for a short code; carriers meter segments). Each message reserves the earliest free slots of
/// any number in the pool; slots of one number are spaced a little wider than 1/rate, so no
/// one-second window ever carries more than the rate, even with some jitter on the way.
/// </summary>
public sealed class SenderPool(IOptions<WhistleOptions> options)
{
    /// <summary>Slots are 5 % wider than the rate allows: headroom for jitter between here and the provider.</summary>
    public const double Headroom = 1.05;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _nextFree = [];

    public async Task<string> AcquireAsync(CancellationToken ct, int segments = 1)
    {
        var t = options.Value.Sms.Twilio;
        var senders = t.From.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var spacing = TimeSpan.FromSeconds(Headroom / Math.Max(0.01, t.MessagesPerSecond));
        string sender;
        DateTimeOffset slot;
        var time = TimeProvider.System; // a provider's limit is in real seconds
        var now = time.GetUtcNow();
        lock (_gate)
        {
            sender = senders.MinBy(s => _nextFree.GetValueOrDefault(s, DateTimeOffset.MinValue))!;
            var free = _nextFree.GetValueOrDefault(sender, DateTimeOffset.MinValue);
            slot = free > now ? free : now;
            _nextFree[sender] = slot + spacing * Math.Max(1, segments);
        }
        if (slot > now) await Task.Delay(slot - now, time, ct);
        return sender;
    }
}
