using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Reports;
using Microsoft.AspNetCore.Mvc;

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
    int ReportCount, DateTimeOffset FirstReportAt, DateTimeOffset LastReportAt, DateTimeOffset UpdatedAt,
    int SourceCount, bool Trusted, string? PlacedHow = null, int? PlacedZoneId = null, int Escalations = 0, bool EscalationStopped = false);

public sealed record ReportView(
    Guid Id, ReportChannel Channel, Activity Activity, double? Lat, double? Lon, string? PlaceText, int? Agents, int? Vehicles,
    Agency Agency, DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, string? Equipment, string? Text, string? Contact, bool HasContact,
    bool Trusted, Guid? SightingId, Guid? SurgeId)
{
    /// <summary>A report as staff read it; the call-back contact only for whoever calls reporters back (<paramref name="mayCall"/>).</summary>
    public static ReportView Of(Report r, KeyRing keys, bool mayCall) =>
        new(r.Id, r.Channel, r.Activity, r.Lat, r.Lon, r.PlaceText, r.Agents, r.Vehicles, r.Agency, r.ObservedAt, r.ReceivedAt, r.Equipment, r.Text,
            mayCall && r.ContactCipher is { } c ? keys.Decrypt(c, Purpose.ReporterContact) : null, r.ContactCipher is not null,
            r.Trusted, r.SightingId, r.SurgeId);
}

/// <summary>
/// One page of the queue: open surges first (on the first page only; each one item however many reports it holds),
/// then sightings in the order a human should look at them; <see cref="NextCursor"/> is null on the last page.
/// </summary>
public sealed record SightingPage(List<SurgeSummary> Surges, List<SightingSummary> Items, string? NextCursor);

public sealed record TransitionView(SightingState From, SightingState To, string Actor, string? Note, DateTimeOffset At);

public sealed record AssignmentView(long Id, string VerifierId, string? Verifier, AssignmentState State, double? DistanceMeters,
    string SentBy, DateTimeOffset SentAt, DateTimeOffset? AnsweredAt)
{
    public static AssignmentView Of(Assignment a, string? verifier) =>
        new(a.Id, a.VerifierId, verifier, a.State, a.DistanceMeters, a.SentBy, a.SentAt, a.AnsweredAt);
}

/// <summary>A sighting on a verifier's list, with their assignment (null for a dispatcher looking at one they were not sent to).</summary>
public sealed record AssignedView(SightingSummary Sighting, AssignmentView? Assignment);

/// <param name="Alerts">The alerts sent for this sighting (originals, oldest first), with their state now.</param>
/// <param name="ActiveAlertId">The one still live (not cancelled, not expired, not a drill): update it rather than send another.</param>
public sealed record SightingDetail(SightingSummary Sighting, List<ReportView> Reports, List<TransitionView> History, List<AssignmentView> Assignments,
    List<SightingAlertView>? Alerts = null, Guid? ActiveAlertId = null);

public sealed record SightingAlertView(Guid Id, string State, bool Drill, int Recipients, DateTimeOffset SentAt, DateTimeOffset ExpiresAt);

public static class SightingsApi
{
    public static RouteGroupBuilder MapSightings(this IEndpointRouteBuilder routes)
    {
        // Verifiers, dispatchers and admins; documenters never read sightings (SightingVisibility says which each may see).
        var group = routes.MapGroup("/sightings").WithTags("Sightings").WithValidation().RequireAuthorization(Policies.Verify);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapGet("/assigned", AssignedAsync).RequireAuthorization(Policies.Verify);
        group.MapPost("/{id:guid}/dispatch", DispatchAsync).RequireAuthorization(Policies.Dispatch);
        group.MapPost("/{id:guid}/accept", (Guid id, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct) =>
            AnswerAsync(id, AssignmentState.Accepted, db, time, user, hub, ct)).RequireAuthorization(Policies.Verify);
        group.MapPost("/{id:guid}/decline", (Guid id, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct) =>
            AnswerAsync(id, AssignmentState.Declined, db, time, user, hub, ct)).RequireAuthorization(Policies.Verify);
        group.MapPost("/{id:guid}/verification", (Guid id, VerificationRequest req, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct) =>
            VerifyAsync(id, req.Outcome switch
            {
                VerificationOutcome.Confirmed => SightingState.Confirmed,
                VerificationOutcome.FalseAlarm => SightingState.FalseAlarm,
                _ => SightingState.Unconfirmed,
            }, req.Note, db, time, user, hub, ct)).RequireAuthorization(Policies.Verify);
        group.MapPost("/{id:guid}/resolve", (Guid id, NoteRequest req, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct) =>
            MoveAsync(id, SightingState.Resolved, req.Note, db, time, user, hub, ct)).RequireAuthorization(Policies.Dispatch);
        return group;
    }

    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>
    /// The queue, a page at a time (<c>?cursor=&amp;limit=</c>): what needs a human first — new, then verifying, then
    /// confirmed, then the closed ones; within a state trusted first, then most distinct sources, then newest. The
    /// cursor is the last row's sort key, so rows added meanwhile never shift a page and none is skipped or repeated.
    /// </summary>
    private static async Task<Results<Ok<SightingPage>, ValidationProblem>> ListAsync(
        WhistleDb db, SightingState? state, string? cursor, int? limit, ClaimsPrincipal user, CancellationToken ct)
    {
        if (limit is < 1) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"From 1 to {MaxPageSize}."] });
        QueueCursor? after = null;
        if (!string.IsNullOrEmpty(cursor) && (after = QueueCursor.Parse(cursor)) is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["cursor"] = ["Not a cursor this queue gave out."] });
        int take = Math.Min(limit ?? DefaultPageSize, MaxPageSize);

        var query = db.Sightings.AsNoTracking().VisibleTo(db, user);
        if (state is { } s) query = query.Where(x => x.State == s);
        var rows = await QueueCursor.After(query, after).Take(take + 1).ToListAsync(ct);
        string? next = rows.Count > take ? QueueCursor.Of(rows[take - 1]).ToString() : null;
        var surges = after is null && state is null && SightingVisibility.SeesAll(user) ? await SurgesApi.OpenAsync(db, ct) : [];
        return TypedResults.Ok(new SightingPage(surges, rows.Take(take).Select(Summary).ToList(), next));
    }

    /// <summary>
    /// The caller's assignments that still await an answer or an outcome (sent or accepted, on a sighting being
    /// verified), oldest first. Dispatchers and admins also see every sighting being verified, so they can step in.
    /// </summary>
    private static async Task<Ok<List<AssignedView>>> AssignedAsync(WhistleDb db, ClaimsPrincipal user, CancellationToken ct)
    {
        var me = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        var mine = await db.Assignments.AsNoTracking()
            .Where(a => a.VerifierId == me && a.State != AssignmentState.Reported)
            .Join(db.Sightings.Where(x => x.State == SightingState.Verifying), a => a.SightingId, x => x.Id, (a, x) => new { a, x })
            .ToListAsync(ct);
        var list = mine.OrderBy(m => m.a.SentAt).Select(m => new AssignedView(Summary(m.x), AssignmentView.Of(m.a, null))).ToList();
        if (user.IsInRole(Roles.Dispatcher) || user.IsInRole(Roles.Admin))
        {
            var others = await db.Sightings.AsNoTracking().Where(x => x.State == SightingState.Verifying)
                .OrderBy(x => x.UpdatedAt).Take(100).ToListAsync(ct);
            list.AddRange(others.Where(x => list.All(l => l.Sighting.Id != x.Id)).Select(x => new AssignedView(Summary(x), null)));
        }
        return TypedResults.Ok(list);
    }

    internal static SightingSummary Summary(Sighting x) =>
        new(x.Id, x.State, x.Activity, x.Lat, x.Lon, x.PlaceText, x.ReportCount, x.FirstReportAt, x.LastReportAt, x.UpdatedAt,
            x.SourceCount, x.Trusted, x.PlacedHow, x.PlacedZoneId, x.Escalations, x.EscalationStopped);

    private static async Task<Results<Ok<SightingDetail>, NotFound>> GetAsync(
        Guid id, WhistleDb db, KeyRing keys, ClaimsPrincipal user, TimeProvider time, CancellationToken ct)
    {
        // A sighting the caller may not see is not found (its existence is not told either).
        var s = await db.Sightings.AsNoTracking().VisibleTo(db, user).Include(x => x.Transitions).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return TypedResults.NotFound();
        // Only whoever calls reporters back sees their contact: dispatchers and admins.
        bool mayCall = user.IsInRole(Roles.Dispatcher) || user.IsInRole(Roles.Admin);
        var reports = await db.Reports.AsNoTracking().Where(r => r.SightingId == id).OrderBy(r => r.ObservedAt).ToListAsync(ct);
        var views = reports.Select(r => ReportView.Of(r, keys, mayCall)).ToList();
        var history = s.Transitions.OrderBy(t => t.At).ThenBy(t => t.Id).Select(t => new TransitionView(t.From, t.To, t.Actor, t.Note, t.At)).ToList();
        var assignments = await db.Assignments.AsNoTracking().Where(a => a.SightingId == id)
            .GroupJoin(db.Users, a => a.VerifierId, u => u.Id, (a, u) => new { a, u })
            .SelectMany(x => x.u.DefaultIfEmpty(), (x, u) => new { x.a, Email = u == null ? null : u.Email })
            .ToListAsync(ct);
        var now = time.GetUtcNow();
        var alerts = (await db.Alerts.AsNoTracking().Where(a => a.SightingId == id && a.Kind == Alerts.AlertKind.Alert)
            .ToListAsync(ct)).OrderBy(a => a.Seq).ToList();
        return TypedResults.Ok(new SightingDetail(Summary(s), views, history,
            assignments.OrderBy(x => x.a.SentAt).ThenBy(x => x.a.DistanceMeters).Select(x => AssignmentView.Of(x.a, x.Email)).ToList(),
            alerts.Select(a => new SightingAlertView(a.Id, a.StateAt(now), a.Drill, a.Recipients, a.SentAt, a.ExpiresAt)).ToList(),
            alerts.LastOrDefault(a => !a.Drill && Alerts.SendRules.IsLive(a, now))?.Id));
    }

    private static async Task<Results<Ok<DispatchResult>, NotFound, ProblemHttpResult>> DispatchAsync(
        Guid id, DispatchRequest req, WhistleDb db, DispatchVerifiers dispatch, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        var s = await db.Sightings.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return TypedResults.NotFound();
        var (result, conflict) = await dispatch.RunAsync(s, req, user.Identity?.Name ?? "unknown", ct);
        if (result is null) return Problem.Conflict(conflict!);
        await SightingsHub.NotifyAsync(hub, db, s);
        return TypedResults.Ok(result);
    }

    /// <summary>A verifier accepts (or declines) their own assignment.</summary>
    private static async Task<Results<Ok<AssignmentView>, NotFound<ProblemDetails>, ProblemHttpResult>> AnswerAsync(
        Guid id, AssignmentState answer, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        var me = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var a = await db.Assignments.FirstOrDefaultAsync(x => x.SightingId == id && x.VerifierId == me, ct);
        if (a is null) return TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "Not assigned", Detail = "You were not sent to this sighting." });
        var s = await db.Sightings.FirstAsync(x => x.Id == id, ct);
        if (s.State != SightingState.Verifying)
            return Problem.Conflict($"This sighting is {Names.Of(s.State)} now: there is nothing left to accept.");
        if (!a.MoveTo(answer, time.GetUtcNow()))
            return Problem.Conflict($"An assignment that is {Names.Of(a.State)} cannot become {Names.Of(answer)}.");
        await db.SaveChangesAsync(ct);
        await SightingsHub.NotifyAsync(hub, db, s);
        return TypedResults.Ok(AssignmentView.Of(a, user.Identity?.Name));
    }

    /// <summary>
    /// An outcome. A verifier records one only for a sighting they were sent to (verify before broadcast means the
    /// people dispatch chose); dispatchers and admins may record one for any (they verified by phone, say).
    /// </summary>
    private static async Task<Results<Ok<SightingSummary>, NotFound, ProblemHttpResult>> VerifyAsync(
        Guid id, SightingState to, string? note, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        var me = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var mine = await db.Assignments.FirstOrDefaultAsync(x => x.SightingId == id && x.VerifierId == me, ct);
        bool mayAlways = user.IsInRole(Roles.Dispatcher) || user.IsInRole(Roles.Admin);
        if (!mayAlways && mine is null)
        {
            if (!await db.Sightings.AnyAsync(x => x.Id == id, ct)) return TypedResults.NotFound();
            return TypedResults.Problem(statusCode: 403, title: "Not assigned",
                detail: "Only a verifier sent to this sighting (or a dispatcher) can record its outcome.");
        }
        if (!mayAlways && !mine!.MayRecordOutcome)
            return TypedResults.Problem(statusCode: 403, title: "Declined",
                detail: $"You {Names.Of(mine.State)} this sighting: only a verifier who is going (or a dispatcher) can record its outcome.");
        mine?.MoveTo(AssignmentState.Reported, time.GetUtcNow());
        return await MoveAsync(id, to, note, db, time, user, hub, ct);
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
        await SightingsHub.NotifyAsync(hub, db, s);
        return TypedResults.Ok(Summary(s));
    }
}
