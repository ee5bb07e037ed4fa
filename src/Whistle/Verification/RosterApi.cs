using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Platform;

namespace Whistle.Verification;

public sealed record DutyRequest(bool? OnDuty, int? HomeZoneId) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(OnDuty is not null || HomeZoneId is not null, "onDuty", "Say whether you are on duty (true or false), or give a home zone.");
        if (HomeZoneId is { } z)
            p.Require(services.GetRequiredService<ZoneRegistry>().Current.Exists(z), "homeZoneId", $"There is no zone {z}.");
    }
}

public sealed record RosterView(string Id, string Email, bool OnDuty, DateTimeOffset? OnDutySince, int? HomeZoneId, string? HomeZone,
    bool Reachable, double? DistanceMeters, AssignmentState? Assignment);

public sealed record MyDuty(bool OnDuty, DateTimeOffset? OnDutySince, int? HomeZoneId, string? HomeZone, bool Reachable);

public static class RosterApi
{
    public static WebApplicationBuilder AddVerification(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<DispatchVerifiers>();
        builder.AddEscalation();
        return builder;
    }

    public static RouteGroupBuilder MapRoster(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/roster").WithTags("Roster").WithValidation().RequireAuthorization(Policies.Staff);
        group.MapGet("/", ListAsync).RequireAuthorization(Policies.Dispatch);
        group.MapGet("/me", MeAsync).RequireAuthorization(Policies.Verify);
        group.MapPut("/me", SetMineAsync).RequireAuthorization(Policies.Verify);
        return group;
    }

    /// <summary>
    /// Every verifier: on duty first, then by distance from their home zone to the sighting given (?sighting=),
    /// with that sighting's assignment state for each.
    /// </summary>
    private static async Task<Results<Ok<List<RosterView>>, NotFound>> ListAsync(
        Guid? sighting, WhistleDb db, UserManager<StaffUser> users, ZoneRegistry zones, CancellationToken ct)
    {
        Sighting? s = null;
        if (sighting is { } sid && (s = await db.Sightings.AsNoTracking().FirstOrDefaultAsync(x => x.Id == sid, ct)) is null)
            return TypedResults.NotFound();
        var roster = await DispatchVerifiers.RosterAsync(users, ct);
        var since = await db.Users.Where(u => u.OnDuty).Select(u => new { u.Id, u.OnDutySince }).ToDictionaryAsync(u => u.Id, u => u.OnDutySince, ct);
        var states = s is null ? [] : await db.Assignments.AsNoTracking().Where(a => a.SightingId == s.Id)
            .ToDictionaryAsync(a => a.VerifierId, a => a.State, ct);
        var catalog = zones.Current;
        var list = roster.Select(v => new RosterView(v.Id, v.Email, v.OnDuty, since.GetValueOrDefault(v.Id), v.HomeZoneId,
                v.HomeZoneId is { } z ? catalog.Find(z)?.Name : null, v.Reachable,
                Roster.Distance(v, s?.Location, catalog), states.TryGetValue(v.Id, out var st) ? st : null))
            .OrderBy(v => !v.OnDuty).ThenBy(v => v.DistanceMeters is null).ThenBy(v => v.DistanceMeters).ThenBy(v => v.Email, StringComparer.Ordinal)
            .ToList();
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<MyDuty>, NotFound>> MeAsync(ClaimsPrincipal user, UserManager<StaffUser> users, ZoneRegistry zones)
    {
        var me = await users.GetUserAsync(user);
        return me is null ? TypedResults.NotFound() : TypedResults.Ok(View(me, zones));
    }

    /// <summary>
    /// A verifier goes on or off duty, or moves their home zone, themselves (from the phone view). Each field is one
    /// atomic update, not Identity's whole-row save: a zone change and "go on duty" sent at the same moment both hold
    /// (Identity's save would lose one to its concurrency stamp and still answer 200). The stamp still moves, so a stale
    /// whole-row save elsewhere cannot write back the old duty.
    /// </summary>
    private static async Task<Results<Ok<MyDuty>, NotFound>> SetMineAsync(
        DutyRequest req, ClaimsPrincipal user, UserManager<StaffUser> users, WhistleDb db, ZoneRegistry zones, TimeProvider time,
        IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        if (users.GetUserId(user) is not { } id) return TypedResults.NotFound();
        if (req.OnDuty is { } on)
        {
            DateTimeOffset? since = on ? time.GetUtcNow() : null;
            await db.Users.Where(u => u.Id == id && u.OnDuty != on).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.OnDuty, on).SetProperty(u => u.OnDutySince, since)
                .SetProperty(u => u.ConcurrencyStamp, Guid.NewGuid().ToString()), ct);
        }
        if (req.HomeZoneId is { } z)
            await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.HomeZoneId, z).SetProperty(u => u.ConcurrencyStamp, Guid.NewGuid().ToString()), ct);
        // An account gone meanwhile changed nothing above.
        if (await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct) is not { } me) return TypedResults.NotFound();
        await SightingsHub.RosterChangedAsync(hub, me.Id);
        return TypedResults.Ok(View(me, zones));
    }

    private static MyDuty View(StaffUser u, ZoneRegistry zones) =>
        new(u.OnDuty, u.OnDutySince, u.HomeZoneId, u.HomeZoneId is { } z ? zones.Current.Find(z)?.Name : null, u.ContactSubscriberId is not null);
}
