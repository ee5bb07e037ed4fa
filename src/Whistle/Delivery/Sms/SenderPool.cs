using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Delivery.Sms;

/// <summary>
/// The SMS sending numbers and the pace each may send at (Whistle:Sms:Twilio:MessagesPerSecond: about
/// 1 for a 10DLC long code, 100 for a short code; carriers meter segments). A message takes the number
/// free soonest; its <see cref="Pace"/> spaces messages a little wider than 1/rate from the moment the
/// previous one actually went, so no one-second window carries more than the rate. With several nodes
/// (Redis, or PostgreSQL: <see cref="Cluster.SharedLimits"/>) the slots come from the shared allocator, so
/// the rate holds per number for the whole cluster, not per node (decision 0046).
/// </summary>
public sealed class SenderPool(IOptions<WhistleOptions> options, Cluster.SharedLimits shared)
{
    /// <summary>Slots are 5 % wider than the rate allows: headroom for jitter between here and the provider.</summary>
    public const double Headroom = 1.05;
    /// <summary>
    /// Slots from the shared allocator are 25 % wider: each node's request to the provider then takes its own time, so
    /// two nodes' messages in adjacent slots can arrive closer than their slots were (5 % let 6 through in a second at 5
    /// a second, seen in SharedLimitsTests). A carrier filters a number for going over, never for going under.
    /// </summary>
    public const double SharedHeadroom = 1.25;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pace> _paces = [];

    public async Task<string> AcquireAsync(CancellationToken ct, int segments = 1)
    {
        var t = options.Value.Sms.Twilio;
        var senders = t.From.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        double perSecond = Math.Max(0.01, t.MessagesPerSecond) / Headroom;
        if (await shared.TryPaceAsync(senders.Select(s => "sms:" + s).ToArray(), perSecond * Headroom / SharedHeadroom, Math.Max(1, segments), ct) is { } index)
            return senders[index];
        string sender;
        Pace pace;
        lock (_gate)
        {
            foreach (var s in senders) if (!_paces.ContainsKey(s)) _paces[s] = new Pace();
            sender = senders.MinBy(s => _paces[s].NextFree)!;
            pace = _paces[sender];
        }
        await pace.AcquireAsync(perSecond * shared.AloneShare, ct, Math.Max(1, segments));
        return sender;
    }
}
