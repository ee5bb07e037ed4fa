using Whistle.Identity;

namespace Whistle.Tests.Unit;

/// <summary>Issue 14 §5: when an open live connection must close, on plain values.</summary>
public class LiveRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 3, 0, 0, TimeSpan.Zero);
    private static readonly Guid Session = Guid.CreateVersion7();
    private static readonly LiveConnection Conn = new("c1", "u1", Session, "stamp-1", ["verifier"], null!);

    private static LiveState State(string user = "u1", DateTimeOffset? revoked = null, DateTimeOffset? expires = null, string stamp = "stamp-1",
        DateTimeOffset? lockout = null) => new(Session, user, revoked, expires ?? Now.AddHours(1), stamp, lockout);

    [Fact]
    public void A_live_login_with_the_same_stamp_and_roles_stays_open() =>
        Assert.Null(LiveRules.Ends(Conn, State(), ["verifier"], Now));

    [Fact]
    public void Each_change_closes_it_and_says_why()
    {
        Assert.Equal("session", LiveRules.Ends(Conn, null, ["verifier"], Now));
        Assert.Equal("session", LiveRules.Ends(Conn, State(user: "u2"), ["verifier"], Now));
        Assert.Equal("ended", LiveRules.Ends(Conn, State(revoked: Now.AddMinutes(-1)), ["verifier"], Now));
        Assert.Equal("ended", LiveRules.Ends(Conn, State(expires: Now), ["verifier"], Now));
        Assert.Equal("disabled", LiveRules.Ends(Conn, State(lockout: StaffRules.DisabledUntil), ["verifier"], Now));
        Assert.Equal("stamp", LiveRules.Ends(Conn, State(stamp: "stamp-2"), ["verifier"], Now));
        Assert.Equal("role", LiveRules.Ends(Conn, State(), ["documenter"], Now));
        Assert.Equal("role", LiveRules.Ends(Conn, State(), [], Now));
        Assert.Equal("role", LiveRules.Ends(Conn, State(), ["verifier", "admin"], Now));
    }

    [Fact]
    public void Roles_compare_as_a_set() =>
        Assert.Null(LiveRules.Ends(Conn with { Roles = ["verifier", "admin"] }, State(), ["admin", "verifier"], Now));
}
