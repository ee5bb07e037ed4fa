using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Reports;

namespace Whistle.Verification;

public enum VerificationOutcome { Confirmed, FalseAlarm, NotFound }

public sealed record VerificationRequest(VerificationOutcome? Outcome, string? Note) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(Outcome is not null, "outcome", "confirmed, false_alarm or not_found.");
        p.MaxLength(Note, 1000, "note");
    }
}

public sealed record NoteRequest(string? Note) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services) => p.MaxLength(Note, 1000, "note");
}

public sealed record SightingSummary(
    Guid Id, SightingState State, Activity Activity, double? Lat, double? Lon, string? PlaceText,
    int ReportCount, DateTimeOffset FirstReportAt, DateTimeOffset LastReportAt, DateTimeOffset UpdatedAt);

public sealed record ReportView(
    Guid Id, ReportChannel Channel, Activity Activity, double? Lat, double? Lon, string? PlaceText, int? Agents, int? Vehicles,
    Agency Agency, DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, string? Equipment, string? Text, string? Contact, bool HasContact);

public sealed record TransitionView(SightingState From, SightingState To, string Actor, string? Note, DateTimeOffset At);

public sealed record SightingDetail(SightingSummary Sighting, List<ReportView> Reports, List<TransitionView> History);

public static class SightingsApi
{
    public static RouteGroupBuilder MapSightings(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/sightings").WithTags("Sightings").WithValidation().RequireAuthorization(Policies.Staff);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapGet("/assigned", AssignedAsync).RequireAuthorization(Policies.Verify);
        group.MapPost("/{id:guid}/dispatch", (Guid id, NoteRequest req, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct) =>
            MoveAsync(id, SightingState.Verifying, req.Note, db, time, user, hub, ct)).RequireAuthorization(Policies.Dispatch);
        group.MapPost("/{id:guid}/verification", (Guid id, VerificationRequest req, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct) =>
            MoveAsync(id, req.Outcome switch
            {
                VerificationOutcome.Confirmed => SightingState.Confirmed,
                VerificationOutcome.FalseAlarm => SightingState.FalseAlarm,
                _ => SightingState.Unconfirmed,
            }, req.Note, db, time, user, hub, ct)).RequireAuthorization(Policies.Verify);
        group.MapPost("/{id:guid}/resolve", (Guid id, NoteRequest req, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct) =>
            MoveAsync(id, SightingState.Resolved, req.Note, db, time, user, hub, ct)).RequireAuthorization(Policies.Dispatch);
        return group;
    }

    private static async Task<Ok<List<SightingSummary>>> ListAsync(WhistleDb db, SightingState? state, CancellationToken ct)
    {
        var query = db.Sightings.AsNoTracking();
        if (state is { } s) query = query.Where(x => x.State == s);
        var list = await query.OrderByDescending(x => x.LastReportAt).Take(500).Select(x => Summary(x)).ToListAsync(ct);
        return TypedResults.Ok(list);
    }

    /// <summary>
    /// A verifier's assignments: the sightings verifiers have been sent to and that await an outcome
    /// (state verifying), oldest dispatch first. Dispatch does not name one verifier yet (no roster), so every
    /// verifier on the network sees them all.
    /// </summary>
    private static async Task<Ok<List<SightingSummary>>> AssignedAsync(WhistleDb db, CancellationToken ct)
    {
        var list = await db.Sightings.AsNoTracking().Where(x => x.State == SightingState.Verifying)
            .OrderBy(x => x.UpdatedAt).Take(100).ToListAsync(ct);
        return TypedResults.Ok(list.Select(Summary).ToList());
    }

    internal static SightingSummary Summary(Sighting x) =>
        new(x.Id, x.State, x.Activity, x.Lat, x.Lon, x.PlaceText, x.ReportCount, x.FirstReportAt, x.LastReportAt, x.UpdatedAt);

    private static async Task<Results<Ok<SightingDetail>, NotFound>> GetAsync(
        Guid id, WhistleDb db, KeyRing keys, ClaimsPrincipal user, CancellationToken ct)
    {
        var s = await db.Sightings.AsNoTracking().Include(x => x.Transitions).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return TypedResults.NotFound();
        // Only whoever calls reporters back sees their contact: dispatchers and admins.
        bool mayCall = user.IsInRole(Roles.Dispatcher) || user.IsInRole(Roles.Admin);
        var reports = await db.Reports.AsNoTracking().Where(r => r.SightingId == id).OrderBy(r => r.ObservedAt).ToListAsync(ct);
        var views = reports.Select(r => new ReportView(r.Id, r.Channel, r.Activity, r.Lat, r.Lon, r.PlaceText, r.Agents, r.Vehicles,
            r.Agency, r.ObservedAt, r.ReceivedAt, r.Equipment, r.Text,
            mayCall && r.ContactCipher is { } c ? keys.Decrypt(c, Purpose.ReporterContact) : null, r.ContactCipher is not null)).ToList();
        var history = s.Transitions.OrderBy(t => t.At).ThenBy(t => t.Id).Select(t => new TransitionView(t.From, t.To, t.Actor, t.Note, t.At)).ToList();
        return TypedResults.Ok(new SightingDetail(Summary(s), views, history));
    }

    private static async Task<Results<Ok<SightingSummary>, NotFound, ProblemHttpResult>> MoveAsync(
        Guid id, SightingState to, string? note, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        var s = await db.Sightings.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return TypedResults.NotFound();
        if (!Sighting.CanMove(s.State, to))
            return Problem.Conflict($"A sighting that is {Names.Of(s.State)} cannot become {Names.Of(to)}.");
        db.SightingTransitions.Add(s.MoveTo(to, user.Identity?.Name ?? "unknown", note, time.GetUtcNow()));
        await db.SaveChangesAsync(ct);
        await SightingsHub.NotifyAsync(hub, s);
        return TypedResults.Ok(Summary(s));
    }
}
