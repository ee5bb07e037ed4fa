using System.Security.Claims;
using Whistle.Data;
using Whistle.Identity;

namespace Whistle.Verification;

/// <summary>
/// Who sees which sightings (issue 11 §8). A sighting carries where residents saw agents — exact positions, often a
/// reporter's own street — so it is shown only to who must act on it: dispatchers and admins see every sighting; a
/// verifier sees only the sightings they were sent to (any answer: one who declined may still accept); documenters
/// see none (the route group and the hub refuse them — incident files carry what they document). One rule used by
/// the list, the detail and the live hub, so the three cannot drift apart.
/// </summary>
public static class SightingVisibility
{
    /// <summary>Dispatchers and admins: every sighting.</summary>
    public static bool SeesAll(ClaimsPrincipal user) => user.IsInRole(Roles.Dispatcher) || user.IsInRole(Roles.Admin);

    /// <summary>Whether this caller may read this sighting, given the verifiers sent to it.</summary>
    public static bool MaySee(ClaimsPrincipal user, IEnumerable<string> assignedVerifierIds) =>
        SeesAll(user)
        || (user.IsInRole(Roles.Verifier) && user.FindFirstValue(ClaimTypes.NameIdentifier) is { } me && assignedVerifierIds.Contains(me));

    /// <summary>The sightings the caller may read, as a filter on any query of sightings.</summary>
    public static IQueryable<Sighting> VisibleTo(this IQueryable<Sighting> sightings, WhistleDb db, ClaimsPrincipal user)
    {
        if (SeesAll(user)) return sightings;
        if (!user.IsInRole(Roles.Verifier)) return sightings.Where(_ => false);
        var me = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        return sightings.Where(s => db.Assignments.Any(a => a.SightingId == s.Id && a.VerifierId == me));
    }
}
