using System.Security.Claims;
using Whistle.Identity;
using Whistle.Verification;

namespace Whistle.Tests.Unit;

/// <summary>Issue 11 §8: who may record an outcome, and who sees a sighting — the plain rules.</summary>
public class AccessRulesTests
{
    [Theory]
    [InlineData(AssignmentState.Sent, true)]
    [InlineData(AssignmentState.Accepted, true)]
    [InlineData(AssignmentState.Declined, false)]
    [InlineData(AssignmentState.Reported, true)] // a second outcome is the sighting's rules to refuse (409)
    public void Only_a_verifier_who_is_going_may_record_the_outcome(AssignmentState state, bool may) =>
        Assert.Equal(may, new Assignment { State = state }.MayRecordOutcome);

    [Fact]
    public void Accepting_again_after_declining_restores_the_right_to_record()
    {
        var a = new Assignment { State = AssignmentState.Sent };
        Assert.True(a.MoveTo(AssignmentState.Declined, DateTimeOffset.UnixEpoch));
        Assert.False(a.MayRecordOutcome);
        Assert.True(a.MoveTo(AssignmentState.Accepted, DateTimeOffset.UnixEpoch));
        Assert.True(a.MayRecordOutcome);
    }

    private static ClaimsPrincipal User(string role, string id = "u1") =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Role, role)], "test"));

    [Theory]
    [InlineData(Roles.Dispatcher, false, true)]
    [InlineData(Roles.Admin, false, true)]
    [InlineData(Roles.Verifier, true, true)]
    [InlineData(Roles.Verifier, false, false)]
    [InlineData(Roles.Documenter, true, false)]  // even with an assignment row (a role changed later): never
    [InlineData(Roles.Documenter, false, false)]
    public void Who_sees_a_sighting(string role, bool assigned, bool sees) =>
        Assert.Equal(sees, SightingVisibility.MaySee(User(role), assigned ? ["u1", "u2"] : ["u2"]));
}
