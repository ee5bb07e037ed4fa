using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery.Sms;
using Whistle.Subscriptions;

namespace Whistle.Delivery;

/// <summary>
/// Hands each message to its channel's provider when one is configured, else to the development
/// sink, and keeps each live channel to its configured pace (SMS is paced per sending number by
/// its <see cref="SenderPool"/>; the sink is not paced).
/// </summary>
public sealed class ChannelRouter(DevOutboxSender devSink, IServiceProvider services, DeliveryRates rates, IOptions<WhistleOptions> options,
    SmsCountries countries, Cluster.SharedLimits shared) : IMessageSender
{
    private readonly Pace[] _paces = Enum.GetValues<SubscriberChannel>().Select(_ => new Pace()).ToArray();

    public async Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        // The last guard against SMS pumping: whatever path queued it, no text leaves for a country not allowed.
        if (message.Channel == SubscriberChannel.Sms && !countries.Allows(message.Recipient))
            return SendResult.Reject("country not allowed for SMS (Whistle:Sms:AllowedCountries)");
        if (!IsLive(message.Channel, options.Value))
        {
            if (options.Value.Delivery.DevSinkPerSecond > 0)
                await _paces[(int)message.Channel].AcquireAsync(rates.PerSecond(message.Channel), ct);
            return await devSink.SendAsync(message, ct);
        }
        switch (message.Channel)
        {
            case SubscriberChannel.Sms:
                return await services.GetRequiredService<TwilioSmsSender>().SendAsync(message, ct);
            default:
                // One pace per channel's sending identity (the From address, the push service, the webhooks), shared
                // by every node when limits are (decision 0046); alone, a node keeps its share.
                var perSecond = rates.PerSecond(message.Channel);
                if (await shared.TryPaceAsync([Verification.Names.Of(message.Channel)], perSecond / Sms.SenderPool.SharedHeadroom, 1, ct) is null)
                    await _paces[(int)message.Channel].AcquireAsync(perSecond * shared.AloneShare, ct);
                return message.Channel switch
                {
                    SubscriberChannel.Email => await services.GetRequiredService<Email.EmailSender>().SendAsync(message, ct),
                    SubscriberChannel.Webhook => await services.GetRequiredService<Webhooks.WebhookSender>().SendAsync(message, ct),
                    SubscriberChannel.Webpush => await services.GetRequiredService<Push.WebPushSender>().SendAsync(message, ct),
                    _ => await devSink.SendAsync(message, ct),
                };
        }
    }

    /// <summary>Whether the channel goes to a real provider (else to the development sink, unpaced).</summary>
    public static bool IsLive(SubscriberChannel channel, WhistleOptions o) => channel switch
    {
        SubscriberChannel.Sms => o.Sms.Twilio.IsConfigured,
        SubscriberChannel.Email => o.Email.IsConfigured,
        // Webhooks and web push need no provider account: the address is the subscriber's own endpoint.
        SubscriberChannel.Webhook => true,
        SubscriberChannel.Webpush => true,
        _ => false,
    };
}
