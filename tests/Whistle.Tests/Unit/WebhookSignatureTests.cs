using Whistle.Delivery.Webhooks;
using Whistle.Subscriptions;

namespace Whistle.Tests.Unit;

public sealed class WebhookSignatureTests
{
    /// <summary>The example the Standard Webhooks reference libraries test their signing with.</summary>
    [Fact]
    public void Signing_matches_the_Standard_Webhooks_example()
    {
        var key = WebhookSecret.Key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        Assert.NotNull(key);
        var signature = WebhookSignature.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}");
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void Any_change_to_id_timestamp_or_body_changes_the_signature()
    {
        var key = WebhookSecret.Key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!;
        var original = WebhookSignature.Sign(key, "msg_1", 1614265330, "{}");
        Assert.NotEqual(original, WebhookSignature.Sign(key, "msg_2", 1614265330, "{}"));
        Assert.NotEqual(original, WebhookSignature.Sign(key, "msg_1", 1614265331, "{}"));
        Assert.NotEqual(original, WebhookSignature.Sign(key, "msg_1", 1614265330, "{ }"));
    }
}
