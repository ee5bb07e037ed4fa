using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery.Sms;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Delivery;

/// <summary>
/// What each channel may send, from configuration: the pace (messages a second) and how many
/// provider calls may be in flight. The estimate a dispatcher sees before sending is the recipients
/// of each channel divided by its pace (SMS counted in segments, which is what carriers meter).
/// </summary>
public sealed class DeliveryRates(IOptions<WhistleOptions> options, Cluster.SharedLimits? shared = null)
{
    /// <summary>The development sink's pace: as fast as a file takes lines, for estimates' sake.</summary>
    public const double DevSinkPerSecond = 5_000;

    public double PerSecond(SubscriberChannel channel)
    {
        var o = options.Value;
        if (!ChannelRouter.IsLive(channel, o)) return o.Delivery.DevSinkPerSecond > 0 ? o.Delivery.DevSinkPerSecond : DevSinkPerSecond;
        return channel switch
        {
            SubscriberChannel.Sms => Math.Max(0.01, o.Sms.Twilio.MessagesPerSecond) * Math.Max(1, Senders(o)) / SenderPool.Headroom,
            SubscriberChannel.Email => Math.Max(0.01, o.Email.MessagesPerSecond),
            SubscriberChannel.Webpush => Math.Max(0.01, o.Push.MessagesPerSecond),
            _ => Math.Max(0.01, o.Webhooks.MessagesPerSecond),
        };
    }

    /// <summary>
    /// The pace the senders actually keep, for estimates: with limits shared between nodes the shared slots are
    /// <see cref="SenderPool.SharedHeadroom"/> wider than the rate (SMS and every other live channel), so a cluster's
    /// estimate would be ~16 % early at <see cref="PerSecond"/>. One node (or the development sink): <see cref="PerSecond"/>.
    /// </summary>
    public double PacedPerSecond(SubscriberChannel channel)
    {
        var perSecond = PerSecond(channel);
        if (shared is not { Shared: true } || !ChannelRouter.IsLive(channel, options.Value)) return perSecond;
        return channel == SubscriberChannel.Sms ? perSecond * SenderPool.Headroom / SenderPool.SharedHeadroom : perSecond / SenderPool.SharedHeadroom;
    }

    public int Concurrency(SubscriberChannel channel)
    {
        var o = options.Value;
        return Math.Max(1, channel switch
        {
            SubscriberChannel.Sms => o.Sms.Concurrency,
            SubscriberChannel.Email => o.Email.Concurrency,
            SubscriberChannel.Webpush => o.Push.Concurrency,
            _ => o.Webhooks.Concurrency,
        });
    }

    /// <summary>
    /// How many a lane claims at once: about five seconds of sending at the channel's pace (so a
    /// cancel waits no longer than that behind a batch), at least the calls in flight, at most BatchSize.
    /// </summary>
    public int BatchSize(SubscriberChannel channel) =>
        Math.Max(1, Math.Min(options.Value.Delivery.BatchSize, Math.Max(Concurrency(channel), (int)Math.Ceiling(PerSecond(channel) * 5))));

    /// <summary>Estimated seconds to hand every recipient to its channel's provider, by channel name.</summary>
    public Dictionary<string, double> Estimate(IReadOnlyCollection<Recipient> recipients, IReadOnlyDictionary<string, string> messages)
    {
        // SMS: the longest language's segment count, so the estimate errs late rather than early.
        int segments = messages.Count == 0 ? 1 : messages.Values.Max(m => SmsSize.Of(m).Segments);
        // Counted in one pass (a city-wide alert has a million recipients: no grouping into lists on the send path).
        var counts = new int[Enum.GetValues<SubscriberChannel>().Length];
        foreach (var r in recipients) counts[(int)r.Channel]++;
        var estimate = new Dictionary<string, double>();
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] == 0) continue;
            var channel = (SubscriberChannel)c;
            estimate[Names.Of(channel)] = Math.Round(counts[c] * (channel == SubscriberChannel.Sms ? segments : 1) / PacedPerSecond(channel), 1);
        }
        return estimate;
    }

    private static int Senders(WhistleOptions o) =>
        o.Sms.Twilio.From.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
}
