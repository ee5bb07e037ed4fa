using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Platform;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Alerts;

public sealed record CircleDto(double? Lat, double? Lon, double? RadiusMeters)
{
    public const double MinRadius = 50, MaxRadius = 50_000;

    public void Validate(Problems p, string field)
    {
        p.Require(Lat is not null && Lon is not null, field, "A circle needs lat, lon and radiusMeters.");
        p.LatLon(Lat, Lon, field + ".");
        p.Require(RadiusMeters is >= MinRadius and <= MaxRadius, field + ".radiusMeters", $"The radius must be between {MinRadius} and {MaxRadius} metres.");
    }
}

/// <summary>
/// The dispatcher's "send anyway": their public words looked like they identify an officer
/// (<see cref="OfficerText"/>) and they say why they must go out as written. Recorded on the alert with who sent it.
/// </summary>
public sealed record OverrideDto(string? Reason)
{
    public const int MinReason = 10, MaxReason = 500;

    public void Validate(Problems p, string field)
    {
        p.Require(!string.IsNullOrWhiteSpace(Reason) && Reason.Trim().Length >= MinReason, field + ".reason",
            $"Say why these words must go out as written (at least {MinReason} characters).");
        p.MaxLength(Reason, MaxReason, field + ".reason");
    }
}

public sealed record AlertRequest(
    Guid? SightingId, CircleDto? Circle, int[]? Zones, bool? Drill, int? ExpiresInMinutes, string? Place, Activity? Activity,
    OverrideDto? Override = null, AlertAudience? Audience = null, string? AudienceReason = null, bool? OutsideAreaAcknowledged = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        var zones = services.GetRequiredService<ZoneRegistry>().Current;
        var max = services.GetRequiredService<IOptions<WhistleOptions>>().Value.Alerts.MaxExpiryMinutes;
        p.Require(Circle is not null || Zones is { Length: > 0 }, "area", "Give the alert an area: a circle, zones, or both.");
        Circle?.Validate(p, "circle");
        foreach (var z in Zones ?? []) p.Require(zones.Exists(z), "zones", $"Unknown zone {z}.");
        p.Require(SightingId is not null || Drill == true, "sightingId", "An alert is sent from a confirmed sighting; only a drill may go without one.");
        p.Require(ExpiresInMinutes is null || (ExpiresInMinutes >= 5 && ExpiresInMinutes <= max), "expiresInMinutes", $"Between 5 and {max} minutes.");
        p.MaxLength(Place, 120, "place");
        Override?.Validate(p, "override");
        p.MaxLength(AudienceReason, DrillAudience.MaxReason, "audienceReason");
    }
}

public sealed record CancelRequest(CancelReason? Reason) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services) =>
        p.Require(Reason is not null, "reason", "Say why: all_clear or false_alarm.");
}

public sealed record UpdateRequest(string? Place, Activity? Activity, int? ExpiresInMinutes, OverrideDto? Override = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.MaxLength(Place, 120, "place");
        Override?.Validate(p, "override");
        p.Require(ExpiresInMinutes is null or >= 5 and <= 24 * 60, "expiresInMinutes", "Between 5 and 1440 minutes.");
    }
}

/// <summary>Outbox states; <c>Delivered</c> counts those a provider has confirmed reached the phone.</summary>
public sealed record DeliveryCounts(int Pending, int Sent, int Failed, int Dead, int Delivered);

public sealed record AlertView(
    Guid Id, string Kind, string State, Guid? References, Guid? SightingId, bool Drill, Activity Activity, string Place,
    CircleDto? Circle, int[] Zones, DateTimeOffset SentAt, DateTimeOffset ExpiresAt, string? CancelReason,
    int Recipients, DeliveryCounts Deliveries, AlertProgress Progress, Dictionary<string, string> Messages,
    Dictionary<string, Delivery.Sms.SmsSize> Sms, OverrideView? Override = null, string Audience = "public", string? AudienceReason = null,
    int? Reached = null, string? Author = null, string? ApprovedBy = null, DateTimeOffset? ApprovedAt = null,
    string? RejectedBy = null, string? RejectReason = null);

/// <summary>A recorded "send anyway": what looked identifying, why it went out, and who sent it.</summary>
public sealed record OverrideView(string Findings, string Reason, string By);

/// <summary>What sending an alert to an area would take, before it is sent.</summary>
/// <param name="Channels">Recipients and the estimated seconds to reach them all, per channel, at the configured rates.</param>
/// <param name="Audience">"public", or "test" for a drill to the test audience: then <paramref name="StaffRecipients"/> staff and
/// <paramref name="OptedInRecipients"/> subscribers in the area who opted into drills.</param>
/// <param name="AreaContainsSighting">Whether the area holds the sighting's position (null for a drill without a sighting).</param>
/// <param name="Languages">Recipients per language, all channels together (each channel's own split is in its plan).</param>
/// <param name="TypedConfirmationAbove">Above this many recipients the console asks for the count to be typed before sending.</param>
/// <param name="ActiveAlertId">The sighting's live alert: sending another is refused (409); update that one instead.</param>
public sealed record AlertPreview(int Recipients, Dictionary<string, ChannelPlan> Channels, Dictionary<string, string> Messages,
    Dictionary<string, Delivery.Sms.SmsSize> Sms, decimal SmsCostEstimate, string Currency,
    string Audience = "public", int StaffRecipients = 0, int OptedInRecipients = 0,
    Dictionary<string, int>? Languages = null, int TypedConfirmationAbove = 0, Guid? ActiveAlertId = null, bool? AreaContainsSighting = null)
{
    /// <summary>The languages this alert would go out in whose templates a native speaker has not reviewed yet.</summary>
    public string[] Unreviewed { get; init; } = [];
}

public sealed record ChannelPlan(int Recipients, double EstimatedSeconds, double MessagesPerSecond, Dictionary<string, int>? Languages = null);

public static class AlertsApi
{
    public static RouteGroupBuilder MapAlerts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/alerts").WithTags("Alerts").WithValidation();
        group.MapGet("/active", ActiveAsync).AllowAnonymous();

        var staff = group.MapGroup("").RequireAuthorization(Policies.Dispatch);
        // Sending, updating and cancelling honour Idempotency-Key: a retried or doubled POST gets the first answer.
        staff.MapPost("/", CreateAsync).Idempotent();
        staff.MapPost("/preview", PreviewAsync);
        staff.MapGet("/{id:guid}", GetAsync);
        staff.MapPost("/{id:guid}/update", UpdateAsync).Idempotent();
        staff.MapPost("/{id:guid}/cancel", CancelAsync).Idempotent();
        staff.MapApproval();
        routes.MapTwoPersonSetting();
        return group;
    }

    private static async Task<Results<Created<AlertCreated>, Accepted<TwoPerson.Pending>, NotFound, ProblemHttpResult>> CreateAsync(
        AlertRequest req, WhistleDb db, PublishAlert publish, ZoneRegistry zones, TimeProvider time,
        IOptions<WhistleOptions> options, ClaimsPrincipal user, Microsoft.AspNetCore.SignalR.IHubContext<SightingsHub> hub, CancellationToken ct)
    {
        if (OfficerCheck(req.Place, req.Override, out var overridden) is { } refused) return refused;
        var audience = DrillAudience.Decide(req.Drill == true, req.Audience, DrillAudience.IsAdmin(user), Text.CleanLine(req.AudienceReason));
        if (AudienceRefusal(audience) is { } notThem) return notThem;
        Sighting? sighting = null;
        if (req.SightingId is { } sid)
        {
            sighting = await db.Sightings.FindAsync([sid], ct);
            if (sighting is null) return TypedResults.NotFound();
            var live = await publish.LiveAlertAsync(sid, req.Drill == true, time.GetUtcNow(), ct);
            if (SendRules.RefuseNew(sighting.State, req.Drill == true, live) is { } why) return Refused(why, live);
            if (Placement.NotPlaced(sighting) is { } unplaced) return unplaced;
        }
        var alert = NewAlert(req, sighting, zones.Current, time.GetUtcNow(), options.Value, user);
        if (sighting is not null && !Placement.Contains(alert.Area, sighting.Location!.Value, zones.Current))
        {
            if (req.OutsideAreaAcknowledged != true) return Placement.Outside();
            // Sent anyway: the dispatcher's acknowledgement goes on the sighting's record, in the sending transaction.
            db.SightingTransitions.Add(Placement.Acknowledged(sighting, alert.SentBy, alert.SentAt));
        }
        (alert.OverrideFindings, alert.OverrideReason) = (overridden?.Findings, overridden?.Reason);
        (alert.Audience, alert.AudienceReason) = (audience.Audience, audience.Reason);
        try
        {
            await publish.SendAsync(alert, sighting?.LastReportAt ?? alert.SentAt, ct, approvalAbove: await TwoPerson.AboveAsync(db, ct));
        }
        catch (ActiveAlertException e)
        {
            // Another send for this sighting committed first (a second tab, a double click without a key).
            db.Entry(alert).State = EntityState.Detached;
            return Refused(SendRules.RefuseNew(null, false, e.Active)!, e.Active);
        }
        if (alert.AwaitingApproval)
        {
            // Nothing delivered: a second dispatcher approves (or someone rejects) it; the others are told it waits.
            var pending = new TwoPerson.Pending(alert.Id, "pending_approval", alert.Recipients, alert.SightingId, alert.SentBy);
            await TwoPerson.NotifyAsync(hub, pending);
            return TypedResults.Accepted($"/api/v1/alerts/{alert.Id}", pending);
        }
        return TypedResults.Created($"/api/v1/alerts/{alert.Id}", new AlertCreated(alert.Id, alert.Recipients));
    }

    /// <summary>A 409 saying why, naming the sighting's live alert when that is the reason.</summary>
    private static ProblemHttpResult Refused(string why, Guid? live) =>
        TypedResults.Problem(detail: why, statusCode: StatusCodes.Status409Conflict, title: "Not allowed in the current state",
            extensions: live is { } id ? new Dictionary<string, object?> { ["activeAlertId"] = id } : null);

    /// <summary>
    /// Who an alert to this area would reach, per channel, and how long each channel would take at
    /// its configured rate — what the dispatcher sees before pressing send. Nothing is stored or sent.
    /// </summary>
    private static async Task<Results<Ok<AlertPreview>, NotFound, ProblemHttpResult>> PreviewAsync(
        AlertRequest req, WhistleDb db, PublishAlert publish, ZoneRegistry zones, DeliveryRates rates, TimeProvider time,
        IOptions<WhistleOptions> options, ClaimsPrincipal user, CancellationToken ct)
    {
        // The composer previews before sending: the warning comes here first, with the same words as on send.
        if (OfficerCheck(req.Place, req.Override, out _) is { } refused) return refused;
        var audience = DrillAudience.Decide(req.Drill == true, req.Audience, DrillAudience.IsAdmin(user), Text.CleanLine(req.AudienceReason));
        if (AudienceRefusal(audience) is { } notThem) return notThem;
        Sighting? sighting = null;
        if (req.SightingId is { } sid && (sighting = await db.Sightings.FindAsync([sid], ct)) is null) return TypedResults.NotFound();
        if (sighting is not null && Placement.NotPlaced(sighting) is { } unplaced) return unplaced;
        var alert = NewAlert(req, sighting, zones.Current, time.GetUtcNow(), options.Value, user);
        alert.Audience = audience.Audience;
        var (recipients, messages, staffCount, optedIn) = await publish.PreviewAsync(alert, sighting?.LastReportAt ?? alert.SentAt, ct);
        bool? contains = sighting is null ? null : Placement.Contains(alert.Area, sighting.Location!.Value, zones.Current);
        var estimates = rates.Estimate(recipients, messages);
        var languages = await publish.LanguagesAsync(recipients, ct);
        var channels = recipients.GroupBy(r => r.Channel).OrderBy(g => g.Key).ToDictionary(g => Names.Of(g.Key),
            g => new ChannelPlan(g.Count(), estimates[Names.Of(g.Key)], Math.Round(rates.PacedPerSecond(g.Key), 2),
                languages.GetValueOrDefault(g.Key) ?? []));
        var totals = languages.Values.SelectMany(d => d).GroupBy(kv => kv.Key).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        var live = sighting is null ? null : await publish.LiveAlertAsync(sighting.Id, req.Drill == true, time.GetUtcNow(), ct);
        var sms = messages.ToDictionary(m => m.Key, m => Delivery.Sms.SmsSize.Of(m.Value));
        int smsRecipients = channels.GetValueOrDefault("sms")?.Recipients ?? 0;
        var o = options.Value.Sms;
        decimal cost = smsRecipients * (sms.Count == 0 ? 1 : sms.Values.Max(s => s.Segments)) * o.CostPerSegment;
        bool test = alert.Drill && alert.Audience == AlertAudience.Test;
        return TypedResults.Ok(new AlertPreview(recipients.Length, channels, messages, sms, Math.Round(cost, 2), o.Currency,
            Names.Of(alert.Audience), test ? staffCount : 0, test ? optedIn : recipients.Length,
            totals, options.Value.Alerts.TypedConfirmationAbove, live, contains)
            { Unreviewed = await TemplateGuide.UnreviewedAsync(db, alert, messages.Keys, ct) });
    }

    /// <summary>A drill to the general public from someone who is not an admin (403), or without a reason (422).</summary>
    private static ProblemHttpResult? AudienceRefusal(DrillAudience.Decision d) => d.Refused
        ? TypedResults.Problem(statusCode: d.Status, title: d.Status == 403 ? "Not allowed to send a drill to the public" : "Check the audience",
            detail: d.Refusal, extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [d.Field!] = [d.Refusal!] } })
        : null;

    private static Alert NewAlert(AlertRequest req, Sighting? sighting, ZoneCatalog catalog, DateTimeOffset now, WhistleOptions options, ClaimsPrincipal user)
    {
        var alert = new Alert
        {
            Kind = AlertKind.Alert,
            SightingId = sighting?.Id,
            Drill = req.Drill == true,
            Activity = req.Activity ?? sighting?.Activity ?? Activity.Other,
            CircleLat = req.Circle?.Lat,
            CircleLon = req.Circle?.Lon,
            CircleRadiusMeters = req.Circle?.RadiusMeters,
            Zones = string.Join(',', (req.Zones ?? []).Distinct().Order()),
            SentAt = now,
            ExpiresAt = now.AddMinutes(req.ExpiresInMinutes ?? options.Alerts.DefaultExpiryMinutes),
            SentBy = user.Identity?.Name ?? "",
        };
        var origin = sighting?.Location ?? alert.Area.Centre(catalog);
        (alert.OriginLat, alert.OriginLon) = (origin.Lat, origin.Lon);
        // The public place is coarse and never the public's words: what the dispatcher typed, else the zone the
        // sighting (or the area's centre) is in, else the first zone of the area, else "" — which the templates say
        // as "the alert area" in each language. A reporter's placeText is shown to staff only.
        alert.Place = Typed(req.Place)
            ?? catalog.ZoneAt(origin)?.Name
            ?? Alert.ZoneIds(alert.Zones).Select(catalog.Find).FirstOrDefault(z => z is not null)?.Name
            ?? "";
        return alert;
    }

    private static string? Typed(string? place) => Text.CleanLine(place)?.Trim() is { Length: > 0 } p ? p : null;

    /// <summary>
    /// Refuses (422) a dispatcher's public words that look like they identify an officer, naming what looked so,
    /// unless the request carries an override with a reason; then what was flagged and why go on the record.
    /// </summary>
    private static ProblemHttpResult? OfficerCheck(string? place, OverrideDto? @override, out (string Findings, string Reason)? overridden) =>
        OfficerCheck("place", [Typed(place)], @override, out overridden);

    /// <summary>The same check over several texts that would become public (a relayed partner alert's words).</summary>
    internal static ProblemHttpResult? OfficerCheck(string field, IEnumerable<string?> texts, OverrideDto? @override, out (string Findings, string Reason)? overridden)
    {
        overridden = null;
        var findings = texts.SelectMany(t => OfficerText.Check(t)).Distinct().ToList();
        if (findings.Count == 0) return null;
        if (@override?.Reason is { } reason && !string.IsNullOrWhiteSpace(reason))
        {
            overridden = (OfficerText.Describe(findings), Text.CleanLine(reason)!.Trim());
            return null;
        }
        return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Looks like it identifies an officer",
            detail: $"These words would be public, and they look like they name or identify an officer ({OfficerText.Describe(findings)}). " +
                "Remove them, or send anyway with override.reason saying why.",
            extensions: new Dictionary<string, object?>
            {
                ["field"] = field,
                ["findings"] = findings.Select(f => new Dictionary<string, string> { ["kind"] = f.Kind, ["match"] = f.Match }).ToArray(),
            });
    }

    public sealed record AlertCreated(Guid Id, int Recipients);

    private static async Task<Results<Ok<AlertView>, NotFound>> GetAsync(
        Guid id, WhistleDb db, PublishAlert publish, DeliveryRates rates, TimeProvider time, Platform.WhistleMetrics metrics, CancellationToken ct)
    {
        var alert = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        if (alert is null) return TypedResults.NotFound();
        // Who an all clear or retraction would reach now: the count its confirmation names.
        int? reached = alert.Kind == AlertKind.Alert && alert.CancelledAt is null && !alert.AwaitingApproval ? await publish.ReachedAsync(alert, ct) : null;
        var progress = await AlertProgress.OfAsync(db, alert, rates, time.GetUtcNow(), ct, metrics);
        return TypedResults.Ok(new AlertView(alert.Id, Names.Of(alert.Kind), alert.StateAt(time.GetUtcNow()), alert.ReferencesId,
            alert.SightingId, alert.Drill, alert.Activity, alert.Place,
            alert.CircleRadiusMeters is { } r ? new CircleDto(alert.CircleLat, alert.CircleLon, r) : null,
            Alert.ZoneIds(alert.Zones), alert.SentAt, alert.ExpiresAt,
            alert.CancelReason is { } reason ? Names.Of(reason) : null, alert.Recipients,
            progress.Deliveries, progress, alert.Messages, alert.Messages.ToDictionary(m => m.Key, m => Delivery.Sms.SmsSize.Of(m.Value)),
            alert.OverrideReason is { } why ? new OverrideView(alert.OverrideFindings ?? "", why, alert.SentBy) : null,
            Names.Of(alert.Audience), alert.AudienceReason, reached, alert.SentBy, alert.ApprovedBy, alert.ApprovedAt,
            alert.RejectedBy, alert.RejectReason));
    }

    private static async Task<Results<Created<AlertCreated>, NotFound, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateRequest req, WhistleDb db, PublishAlert publish, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        var original = await db.Alerts.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (original is null) return TypedResults.NotFound();
        var sighting = original.SightingId is { } sid ? await db.Sightings.AsNoTracking().FirstOrDefaultAsync(x => x.Id == sid, ct) : null;
        if (SendRules.RefuseUpdate(original, sighting?.State, time.GetUtcNow()) is { } why) return Problem.Conflict(why);
        if (OfficerCheck(req.Place, req.Override, out var overridden) is { } refused) return refused;
        if (Typed(req.Place) is { } place) original.Place = place;
        if (req.Activity is { } a) original.Activity = a;
        if (req.ExpiresInMinutes is { } m) original.ExpiresAt = time.GetUtcNow().AddMinutes(m);
        var update = await publish.FollowUpAsync(original, AlertKind.Update, null, user.Identity?.Name ?? "", ct, overridden);
        return TypedResults.Created($"/api/v1/alerts/{update.Id}", new AlertCreated(update.Id, update.Recipients));
    }

    private static async Task<Results<Created<AlertCreated>, NotFound, ProblemHttpResult>> CancelAsync(
        Guid id, CancelRequest req, WhistleDb db, PublishAlert publish, TimeProvider time, ClaimsPrincipal user, CancellationToken ct)
    {
        var original = await db.Alerts.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (original is null) return TypedResults.NotFound();
        if (SendRules.RefuseCancel(original) is { } why) return Problem.Conflict(why);
        var actor = user.Identity?.Name ?? "";
        Alert cancel;
        try
        {
            cancel = await publish.FollowUpAsync(original, AlertKind.Cancel, req.Reason, actor, ct);
        }
        catch (AlreadyCancelledException)
        {
            return Problem.Conflict("This alert was already cancelled a moment ago; nothing more is sent.");
        }

        // The sighting follows the alert: a false alarm is recorded as one, an all-clear resolves it.
        if (original.SightingId is { } sid && await db.Sightings.FindAsync([sid], ct) is { } sighting)
        {
            var to = req.Reason == CancelReason.FalseAlarm ? SightingState.FalseAlarm : SightingState.Resolved;
            if (Sighting.CanMove(sighting.State, to))
            {
                db.SightingTransitions.Add(sighting.MoveTo(to, actor, $"alert cancelled: {Names.Of(req.Reason!.Value)}", time.GetUtcNow()));
                await db.SaveChangesAsync(ct);
            }
        }
        return TypedResults.Created($"/api/v1/alerts/{cancel.Id}", new AlertCreated(cancel.Id, cancel.Recipients));
    }

    /// <summary>
    /// Live verified alerts as GeoJSON, each at a ~200 m grid point — enough to avoid an area, never a doorstep.
    /// <c>?include=retracted</c> adds the false alarms retracted in the last 24 hours (state "retracted").
    /// </summary>
    private static async Task<IResult> ActiveAsync(WhistleDb db, TimeProvider time, string? include, CancellationToken ct) =>
        Results.Json(await PublicAlerts.GeoJsonAsync(db, time.GetUtcNow(), include == "retracted", ct), contentType: "application/geo+json");
}
