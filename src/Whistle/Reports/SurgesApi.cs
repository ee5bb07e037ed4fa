using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Verification;

namespace Whistle.Reports;

public sealed record SurgeSummary(
    Guid Id, string Area, double? Lat, double? Lon, string? PlaceText, SurgeState State, int ReportCount, int SourceCount,
    int PromotedCount, DateTimeOffset FirstReportAt, DateTimeOffset LastReportAt, string? DismissedBy, DateTimeOffset? DismissedAt)
{
    public static SurgeSummary Of(Surge s) => new(s.Id, s.Area, s.Lat, s.Lon, s.PlaceText, s.State, s.ReportCount, s.SourceCount,
        s.PromotedCount, s.FirstReportAt, s.LastReportAt, s.DismissedBy, s.DismissedAt);
}

/// <summary>A surge with one page of its reports (oldest first); <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record SurgeDetail(SurgeSummary Surge, List<ReportView> Reports, string? NextCursor);

/// <summary>
/// The surge lane, for dispatchers: open a surge, read its reports a page at a time, promote one to the queue
/// (it is clustered like any report) or dismiss the surge (its reports stay stored and readable).
/// </summary>
public static class SurgesApi
{
    public const int MaxOpenListed = 100;

    public static RouteGroupBuilder MapSurges(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/surges").WithTags("Surges").WithValidation().RequireAuthorization(Policies.Dispatch);
        group.MapGet("/", async (WhistleDb db, CancellationToken ct) => TypedResults.Ok(await OpenAsync(db, ct)));
        group.MapGet("/{id:guid}", GetAsync);
        group.MapPost("/{id:guid}/reports/{reportId:guid}/promote", PromoteAsync);
        group.MapPost("/{id:guid}/dismiss", DismissAsync);
        return group;
    }

    /// <summary>Open surges, the busiest first (they head the queue).</summary>
    public static async Task<List<SurgeSummary>> OpenAsync(WhistleDb db, CancellationToken ct)
    {
        var open = await db.Surges.AsNoTracking().Where(s => s.State == SurgeState.Open)
            .OrderByDescending(s => s.LastReportAt).ThenBy(s => s.Id).Take(MaxOpenListed).ToListAsync(ct);
        return open.Select(SurgeSummary.Of).ToList();
    }

    private static async Task<Results<Ok<SurgeDetail>, NotFound, ValidationProblem>> GetAsync(
        Guid id, string? cursor, int? limit, WhistleDb db, KeyRing keys, CancellationToken ct)
    {
        if (limit is < 1) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"From 1 to {SightingsApi.MaxPageSize}."] });
        (long Ticks, Guid Id)? after = null;
        if (!string.IsNullOrEmpty(cursor) && (after = ParseCursor(cursor)) is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["cursor"] = ["Not a cursor this surge gave out."] });
        var s = await db.Surges.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return TypedResults.NotFound();
        int take = Math.Min(limit ?? SightingsApi.DefaultPageSize, SightingsApi.MaxPageSize);
        var q = db.Reports.AsNoTracking().Where(r => r.SurgeId == id);
        if (after is { } a)
        {
            var (at, rid) = (new DateTimeOffset(a.Ticks, TimeSpan.Zero), a.Id);
            q = q.Where(r => r.ReceivedAt > at || (r.ReceivedAt == at && r.Id.CompareTo(rid) > 0));
        }
        var rows = await q.OrderBy(r => r.ReceivedAt).ThenBy(r => r.Id).Take(take + 1).ToListAsync(ct);
        string? next = rows.Count > take ? Cursor(rows[take - 1]) : null;
        return TypedResults.Ok(new SurgeDetail(SurgeSummary.Of(s), rows.Take(take).Select(r => ReportView.Of(r, keys, mayCall: true)).ToList(), next));
    }

    /// <summary>A held report the dispatcher judges real goes to the queue, clustered like any report.</summary>
    private static async Task<Results<Ok<SightingSummary>, NotFound, ProblemHttpResult>> PromoteAsync(
        Guid id, Guid reportId, WhistleDb db, TimeProvider time, IOptions<WhistleOptions> options, IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        var s = await db.Surges.FirstOrDefaultAsync(x => x.Id == id, ct);
        var r = await db.Reports.FirstOrDefaultAsync(x => x.Id == reportId && x.SurgeId == id, ct);
        if (s is null || r is null) return TypedResults.NotFound();
        if (r.SightingId is not null) return Problem.Conflict("This report was already promoted to a sighting.");
        var sighting = await ReportsApi.JoinSightingAsync(db, r, options.Value, time.GetUtcNow(), ct);
        s.PromotedCount++;
        await db.SaveChangesAsync(ct);
        await SightingsHub.NotifyAsync(hub, db, sighting);
        await SightingsHub.NotifyAsync(hub, s, force: true);
        return TypedResults.Ok(SightingsApi.Summary(sighting));
    }

    private static async Task<Results<Ok<SurgeSummary>, NotFound, ProblemHttpResult>> DismissAsync(
        Guid id, WhistleDb db, TimeProvider time, ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        var s = await db.Surges.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return TypedResults.NotFound();
        if (!s.Dismiss(user.Identity?.Name ?? "unknown", time.GetUtcNow())) return Problem.Conflict("This surge was already dismissed.");
        await db.SaveChangesAsync(ct);
        await SightingsHub.NotifyAsync(hub, s, force: true);
        return TypedResults.Ok(SurgeSummary.Of(s));
    }

    private static string Cursor(Report r) => string.Create(CultureInfo.InvariantCulture, $"{r.ReceivedAt.UtcTicks}.{r.Id:N}");

    private static (long, Guid)? ParseCursor(string c)
    {
        var dot = c.IndexOf('.');
        if (dot < 0 || c.Length > 80) return null;
        if (!long.TryParse(c[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks) return null;
        if (!Guid.TryParseExact(c[(dot + 1)..], "N", out var id)) return null;
        return (ticks, id);
    }
}
