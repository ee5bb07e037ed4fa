using Microsoft.Extensions.Primitives;
using Whistle.Alerts;
using Whistle.Platform;
using Whistle.Verification;

namespace Whistle.Tests.Unit;

/// <summary>When an alert may be sent, updated or cancelled (<see cref="SendRules"/>), and what an Idempotency-Key may be.</summary>
public sealed class SendRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 18, 0, 0, TimeSpan.Zero);

    private static Alert Live() => new() { Kind = AlertKind.Alert, SentAt = Now.AddMinutes(-10), ExpiresAt = Now.AddHours(1) };

    [Fact]
    public void A_new_alert_needs_a_confirmed_sighting_without_a_live_alert()
    {
        Assert.Null(SendRules.RefuseNew(SightingState.Confirmed, false, null));
        Assert.Null(SendRules.RefuseNew(null, true, null));
        Assert.Contains("resolved", SendRules.RefuseNew(SightingState.Resolved, false, null));
        var live = Guid.NewGuid();
        Assert.Contains(live.ToString(), SendRules.RefuseNew(SightingState.Confirmed, false, live));
        Assert.Null(SendRules.RefuseNew(SightingState.Resolved, true, null)); // a drill may use any sighting
    }

    [Fact]
    public void Only_a_live_original_of_an_open_sighting_is_updated_and_a_cancel_happens_once()
    {
        var a = Live();
        Assert.True(SendRules.IsLive(a, Now));
        Assert.Null(SendRules.RefuseUpdate(a, SightingState.Confirmed, Now));
        Assert.Contains("all clear", SendRules.RefuseUpdate(a, SightingState.Resolved, Now));
        Assert.Contains("expired", SendRules.RefuseUpdate(a, SightingState.Confirmed, Now.AddHours(2)));
        Assert.False(SendRules.IsLive(a, Now.AddHours(2)));
        Assert.Null(SendRules.RefuseCancel(a)); // expired or not, the all clear may still go
        a.CancelledAt = Now;
        Assert.Contains("already cancelled", SendRules.RefuseCancel(a));
        Assert.Contains("cancelled", SendRules.RefuseUpdate(a, SightingState.Confirmed, Now));
        Assert.False(SendRules.IsLive(a, Now));
        Assert.NotNull(SendRules.RefuseCancel(new Alert { Kind = AlertKind.Update }));
    }

    [Theory]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("\"abc\"", "abc")]
    [InlineData("", null)]
    [InlineData("\"\"", null)]
    [InlineData("a\u0001b", null)]
    [InlineData("clé", null)]
    public void An_idempotency_key_is_1_to_255_printable_ascii(string raw, string? key) =>
        Assert.Equal(key, IdempotencyFilter.ParseKey(new StringValues(raw)));

    [Fact]
    public void Two_keys_or_a_long_one_are_refused()
    {
        Assert.Null(IdempotencyFilter.ParseKey(new StringValues(["a", "b"])));
        Assert.Null(IdempotencyFilter.ParseKey(new StringValues(new string('k', 256))));
        Assert.NotNull(IdempotencyFilter.ParseKey(new StringValues(new string('k', 255))));
    }
}
