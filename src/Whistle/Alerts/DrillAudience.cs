using Whistle.Identity;
using Whistle.Subscriptions;

namespace Whistle.Alerts;

/// <summary>Who an alert goes to: everyone in its area, or — for a drill — the test audience.</summary>
public enum AlertAudience { Public, Test }

/// <summary>
/// Who a drill may reach (issue 12, §3). A drill tests the pipeline, not the public's patience: by default it goes to
/// the <b>test audience</b> — subscribers in its area who chose "also send me drills" and every staff member with a
/// contact address, wherever they are. Sending a drill to the general public takes an admin and a recorded reason;
/// a real alert always goes to the public.
/// </summary>
public static class DrillAudience
{
    public const int MinReason = 10, MaxReason = 500;

    /// <summary>The decision: the audience, or why not (403: not an admin; 422: the request does not hold together).</summary>
    public sealed record Decision(AlertAudience Audience, string? Reason, int? Status = null, string? Field = null, string? Refusal = null)
    {
        public bool Refused => Status is not null;
    }

    /// <param name="drill">Whether the alert is a drill.</param>
    /// <param name="requested">The audience asked for (null: a drill's default, the test audience; a real alert's, the public).</param>
    /// <param name="isAdmin">Whether the sender holds the admin role.</param>
    /// <param name="reason">An admin's reason for sending a drill to the public (already cleaned).</param>
    public static Decision Decide(bool drill, AlertAudience? requested, bool isAdmin, string? reason)
    {
        if (!drill)
            return requested == AlertAudience.Test
                ? new(AlertAudience.Public, null, 422, "audience", "A test audience is for drills: a real alert goes to everyone in its area.")
                : new(AlertAudience.Public, null);
        if (requested is null or AlertAudience.Test) return new(AlertAudience.Test, null);
        if (!isAdmin)
            return new(AlertAudience.Test, null, 403, "audience",
                "Only an admin can send a drill to the general public. Send it to the test audience.");
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < MinReason)
            return new(AlertAudience.Test, null, 422, "audienceReason",
                $"Say why this drill must reach the general public (at least {MinReason} characters); it is recorded with your name.");
        return new(AlertAudience.Public, reason.Trim());
    }

    /// <summary>
    /// The test audience out of an area's recipients: the ones who opted into drills, nearest first, then the staff
    /// contacts not already among them (network-wide: a staff member far from the drill still tests their phone).
    /// </summary>
    public static Recipient[] Select(IReadOnlyList<Recipient> inArea, IReadOnlySet<long> optedIn, IReadOnlyList<(long Id, SubscriberChannel Channel)> staff,
        out int staffCount, out int subscriberCount)
    {
        var result = new List<Recipient>();
        var taken = new HashSet<long>();
        foreach (var r in inArea)
            if (optedIn.Contains(r.SubscriberId) && taken.Add(r.SubscriberId)) result.Add(r);
        subscriberCount = result.Count;
        staffCount = 0;
        foreach (var (id, channel) in staff)
        {
            if (!taken.Add(id)) { staffCount++; continue; }
            result.Add(new Recipient(id, double.MaxValue, channel));
            staffCount++;
        }
        // A staff member who is also an opted-in subscriber in the area is counted once, as staff.
        subscriberCount = result.Count - staffCount;
        return [.. result];
    }

    public static bool IsAdmin(System.Security.Claims.ClaimsPrincipal user) => user.IsInRole(Roles.Admin);
}
