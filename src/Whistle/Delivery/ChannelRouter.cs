using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery.Sms;
using Whistle.Subscriptions;

namespace Whistle.Delivery;

/// <summary>Hands each message to its channel's provider when one is configured, else to the development sink.</summary>
public sealed class ChannelRouter(DevOutboxSender devSink, IServiceProvider services, IOptions<WhistleOptions> options) : IMessageSender
{
    public Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken ct) => message.Channel switch
    {
        SubscriberChannel.Sms when options.Value.Sms.Twilio.IsConfigured => services.GetRequiredService<TwilioSmsSender>().SendAsync(message, ct),
        _ => devSink.SendAsync(message, ct),
    };
}
