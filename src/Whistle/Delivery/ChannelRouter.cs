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
public sealed class ChannelRouter(DevOutboxSender devSink, IServiceProvider services, DeliveryRates rates, IOptions<WhistleOptions> options) : IMessageSender
{
    private readonly Pace[] _paces = Enum.GetValues<SubscriberChannel>().Select(_ => new Pace()).ToArray();

    public async Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        if (!IsLive(message.Channel, options.Value)) return await devSink.SendAsync(message, ct);
        switch (message.Channel)
        {
            case SubscriberChannel.Sms:
                return await services.GetRequiredService<TwilioSmsSender>().SendAsync(message, ct);
            default:
                await _paces[(int)message.Channel].AcquireAsync(rates.PerSecond(message.Channel), ct);
                switch (message.Channel)
                {
                    case SubscriberChannel.Webpush:
                        return await services.GetRequiredService<Push.WebPushSender>().SendAsync(message, ct);
                }
                return await devSink.SendAsync(message, ct);
        }
    }

    /// <summary>Whether the channel goes to a real provider (else to the development sink, unpaced).</summary>
    public static bool IsLive(SubscriberChannel channel, WhistleOptions o) => channel switch
    {
        SubscriberChannel.Sms => o.Sms.Twilio.IsConfigured,
        // Web push needs no provider account: the push service is whichever the browser chose.
        SubscriberChannel.Webpush => true,
        _ => false,
    };
}
