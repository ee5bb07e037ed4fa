using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

public sealed class DeliveryRatesTests
{
    private static DeliveryRates Rates(Action<WhistleOptions> configure)
    {
        var o = new WhistleOptions();
        o.Sms.Twilio = new TwilioOptions { BaseUrl = "http://127.0.0.1:9", AccountSid = "AC", AuthToken = "t", From = "+15005550006, +15005550007" };
        configure(o);
        return new DeliveryRates(Options.Create(o));
    }

    [Theory]
    [InlineData(1.0, 500, 16)]    // two long codes: 10 s of sending is ~10 messages, but never fewer than the calls in flight
    [InlineData(100.0, 500, 500)] // two short codes: ~950 in five seconds, capped at BatchSize
    [InlineData(100.0, 7, 7)]     // a BatchSize below the concurrency wins: it is the operator's ceiling
    public void A_lanes_batch_is_about_five_seconds_of_its_pace_within_its_concurrency_and_the_batch_size(double perSecond, int batchSize, int expected)
    {
        var rates = Rates(o => { o.Sms.Twilio.MessagesPerSecond = perSecond; o.Delivery.BatchSize = batchSize; });
        Assert.Equal(expected, rates.BatchSize(SubscriberChannel.Sms));
    }

    [Fact]
    public void The_SMS_estimate_counts_segments_at_the_pooled_pace_and_the_sink_is_not_a_bottleneck()
    {
        var rates = Rates(o => o.Sms.Twilio.MessagesPerSecond = 1);
        var recipients = Enumerable.Range(0, 40).Select(i => new Recipient(i, 0, i < 30 ? SubscriberChannel.Sms : SubscriberChannel.Email)).ToList();
        var twoSegments = new Dictionary<string, string> { ["en"] = "short", ["es"] = new string('ó', 100) }; // UCS-2, 2 segments
        var estimate = rates.Estimate(recipients, twoSegments);
        Assert.Equal(Math.Round(30 * 2 / (2 / 1.05), 1), estimate["sms"]);
        Assert.Equal(Math.Round(10 / DeliveryRates.DevSinkPerSecond, 1), estimate["email"]); // no SMTP configured: the sink
    }

    /// <summary>
    /// Seen: a cluster paces each number at rate / SenderPool.SharedHeadroom (1.25), but the preview estimated at
    /// rate / SenderPool.Headroom (1.05): "time to reach everyone" came out ~16 % early. Now the estimate is at the pace kept.
    /// </summary>
    [Fact]
    public void In_a_cluster_the_estimate_uses_the_wider_shared_slots_the_senders_actually_keep()
    {
        var o = new WhistleOptions();
        o.Sms.Twilio = new TwilioOptions { BaseUrl = "http://127.0.0.1:9", AccountSid = "AC", AuthToken = "t", From = "+15005550006, +15005550007", MessagesPerSecond = 1 };
        o.Email.Smtp.Host = "127.0.0.1";
        o.Email.From = "alerts@whistle.test";
        o.Email.MessagesPerSecond = 10;
        o.Database.Provider = "postgres";
        o.Database.ConnectionString = "Host=127.0.0.1;Database=none"; // never opened: the store is only named
        var options = Options.Create(o);
        var shared = new Whistle.Cluster.SharedLimits(new Whistle.Cluster.RedisConnection(options), options,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Whistle.Cluster.SharedLimits>.Instance);
        Assert.True(shared.Shared);
        var alone = new DeliveryRates(options);
        var cluster = new DeliveryRates(options, shared);
        var recipients = Enumerable.Range(0, 120).Select(i => new Recipient(i, 0, i < 100 ? SubscriberChannel.Sms : SubscriberChannel.Email)).ToList();
        var messages = new Dictionary<string, string> { ["en"] = "short" };

        Assert.Equal(Math.Round(100 / (2 / 1.05), 1), alone.Estimate(recipients, messages)["sms"]);
        Assert.Equal(Math.Round(100 / (2 / Whistle.Delivery.Sms.SenderPool.SharedHeadroom), 1), cluster.Estimate(recipients, messages)["sms"]);
        Assert.Equal(Math.Round(20 / (10 / Whistle.Delivery.Sms.SenderPool.SharedHeadroom), 1), cluster.Estimate(recipients, messages)["email"]);
        // What the relay paces with is unchanged (the senders divide by the headroom themselves).
        Assert.Equal(alone.PerSecond(SubscriberChannel.Sms), cluster.PerSecond(SubscriberChannel.Sms));
    }
}
