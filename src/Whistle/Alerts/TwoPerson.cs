using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Platform;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// The optional two-person rule: when an admin has turned it on, an alert to more than <c>above</c> recipients is stored
/// awaiting a second dispatcher's approval — nothing delivered, in no public feed — and the sighting's one live alert, so
/// nobody can send beside it. Another dispatcher (or an admin) approves it, which sends it to the recipients counted at
/// that moment; or rejects it (the author may withdraw it), which ends it unsent. Drills to the test audience are exempt:
/// they reach only staff and people who asked for drills.
/// </summary>
public static class TwoPerson
{
    public const string NotYet = "This alert is waiting for a second dispatcher's approval; approve or reject it first.";
    public const string OwnAlert = "You wrote this alert; a second dispatcher must approve it. You may withdraw it (reject).";
    public const int MaxReason = 500;

    /// <summary>Whether an alert to <paramref name="recipients"/> people must wait for a second dispatcher.</summary>
    public static bool Applies(int? above, Alert alert, int recipients) =>
        above is { } n && recipients > n && alert.Kind == AlertKind.Alert && !(alert.Drill && alert.Audience == AlertAudience.Test);

    /// <summary>Why <paramref name="approver"/> may not approve (null: they may). The author never may.</summary>
    public static string? RefuseApprove(Alert a, string approver, DateTimeOffset now) =>
        !a.AwaitingApproval ? (a.ApprovedAt is { } at ? $"This alert was already approved at {at:u} by another dispatcher." : "This alert does not need approval.")
        : a.CancelledAt is not null ? "This alert was rejected; it will not be sent."
        : now >= a.ExpiresAt ? "This alert expired before anybody approved it; send a new one if the sighting is still live."
        : string.Equals(a.SentBy, approver, StringComparison.OrdinalIgnoreCase) ? OwnAlert
        : null;

    public static string? RefuseReject(Alert a) =>
        !a.AwaitingApproval ? (a.ApprovedAt is not null ? "This alert was already approved and sent; cancel it instead." : "This alert does not need approval.")
        : a.CancelledAt is not null ? "This alert was already rejected."
        : null;

    /// <summary>The setting, as an admin reads and writes it.</summary>
    public sealed record Setting(bool? Enabled, int? Above) : IValidatable
    {
        public void Validate(Problems p, IServiceProvider services)
        {
            p.Require(Enabled is not null, "enabled", "Say whether the two-person rule is on (true or false).");
            p.Require(Enabled != true || Above is >= 0 and <= 10_000_000, "above", "Above how many recipients: a number from 0 to 10,000,000.");
        }
    }

    public sealed record RejectRequest(string? Reason) : IValidatable
    {
        public void Validate(Problems p, IServiceProvider services)
        {
            p.Require(!string.IsNullOrWhiteSpace(Reason), "reason", "Say why the alert should not go out.");
            p.MaxLength(Reason, MaxReason, "reason");
        }
    }

    /// <summary>What the sending dispatcher is told (202), and what the others are told on the sightings hub.</summary>
    public sealed record Pending(Guid Id, string State, int Recipients, Guid? SightingId = null, string? Author = null);

    public const string AwaitingEvent = "approval";

    public static async Task<int?> AboveAsync(WhistleDb db, CancellationToken ct) =>
        await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.TwoPersonAbove).FirstOrDefaultAsync(ct);

    public static void MapTwoPersonSetting(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin/two-person").WithTags("Alerts").WithValidation().RequireAuthorization(Identity.Policies.Admin);
        group.MapGet("/", GetSettingAsync);
        group.MapPut("/", SetSettingAsync);
    }

    /// <summary>Approve and reject, on the dispatchers' alerts group.</summary>
    public static void MapApproval(this RouteGroupBuilder staff)
    {
        staff.MapPost("/{id:guid}/approve", ApproveAsync).Idempotent();
        staff.MapPost("/{id:guid}/reject", RejectAsync).Idempotent();
    }

    private static async Task<Ok<Setting>> GetSettingAsync(WhistleDb db, CancellationToken ct) =>
        TypedResults.Ok(await AboveAsync(db, ct) is { } n ? new Setting(true, n) : new Setting(false, null));

    private static async Task<Ok<Setting>> SetSettingAsync(Setting req, WhistleDb db, CancellationToken ct)
    {
        var profile = await db.Network.OrderBy(n => n.Id).FirstAsync(ct);
        profile.TwoPersonAbove = req.Enabled == true ? req.Above : null;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new Setting(req.Enabled == true, profile.TwoPersonAbove));
    }

    private static async Task<Results<Created<AlertsApi.AlertCreated>, NotFound, ProblemHttpResult>> ApproveAsync(
        Guid id, WhistleDb db, PublishAlert publish, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        var alert = await db.Alerts.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (alert is null) return TypedResults.NotFound();
        var approver = user.Identity?.Name ?? "";
        if (RefuseApprove(alert, approver, time.GetUtcNow()) is { } why)
            return why == OwnAlert
                ? TypedResults.Problem(detail: why, statusCode: StatusCodes.Status403Forbidden, title: "A second dispatcher must approve")
                : Problem.Conflict(why);
        // Of two approvers at once, the conditional update lets one through; the other is told it was approved.
        if (!await publish.ApproveAsync(alert, approver, ct))
            return Problem.Conflict("Another dispatcher approved or rejected this alert a moment ago; it is sent at most once.");
        return TypedResults.Created($"/api/v1/alerts/{alert.Id}", new AlertsApi.AlertCreated(alert.Id, alert.Recipients));
    }

    private static async Task<Results<Ok<Pending>, NotFound, ProblemHttpResult>> RejectAsync(
        Guid id, RejectRequest req, WhistleDb db, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        var alert = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        if (alert is null) return TypedResults.NotFound();
        if (RefuseReject(alert) is { } why) return Problem.Conflict(why);
        var now = time.GetUtcNow();
        var by = user.Identity?.Name ?? "";
        var reason = Text.CleanLine(req.Reason)!.Trim();
        if (await db.Alerts.Where(a => a.Id == id && a.AwaitingApproval && a.CancelledAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.CancelledAt, now).SetProperty(a => a.RejectedBy, by)
                    .SetProperty(a => a.RejectReason, reason), ct) == 0)
            return Problem.Conflict("Another dispatcher approved or rejected this alert a moment ago.");
        return TypedResults.Ok(new Pending(alert.Id, "rejected", alert.Recipients, alert.SightingId, alert.SentBy));
    }

    /// <summary>Tells the dispatchers an alert awaits a second one (the sighting page and queue show it on their next load otherwise).</summary>
    public static async Task NotifyAsync(IHubContext<SightingsHub> hub, Pending pending)
    {
        try { await hub.Clients.Group(SightingsHub.Everything).SendAsync(AwaitingEvent, pending); }
        catch (Exception) { /* shown on the next load */ }
    }
}
