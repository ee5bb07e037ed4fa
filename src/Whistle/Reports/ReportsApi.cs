using System.Security.Claims;
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

public sealed record ReportRequest(
    Activity? Activity, double? Lat, double? Lon, string? PlaceText, int? Agents, int? Vehicles, Agency? Agency,
    DateTimeOffset? ObservedAt, string? Equipment, string? Text, string? Contact, ReportChannel? Channel,
    string? ReporterToken = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        p.Require(Activity is not null, "activity", "Say what is happening: home_raid, workplace_raid, checkpoint, arrest, patrol or other.");
        p.LatLon(Lat, Lon);
        p.Require(Lat is not null || !string.IsNullOrWhiteSpace(PlaceText), "location", "Give a location: lat and lon, or a place description.");
        p.MaxLength(PlaceText, Report.MaxPlaceLength, "placeText");
        p.MaxLength(Equipment, Report.MaxEquipmentLength, "equipment");
        p.MaxLength(Text, Report.MaxTextLength, "text");
        p.MaxLength(Contact, Report.MaxContactLength, "contact");
        p.MaxLength(ReporterToken, TrustedReporter.MaxTokenLength, "reporterToken");
        p.Require(Agents is null or >= 0 and <= 1000, "agents", "Between 0 and 1000.");
        p.Require(Vehicles is null or >= 0 and <= 1000, "vehicles", "Between 0 and 1000.");
        p.Require(ObservedAt is null || (ObservedAt <= now.AddMinutes(10) && ObservedAt >= now.AddDays(-7)), "observedAt", "A time in the last seven days.");
        p.Require(Channel is null or ReportChannel.Web or ReportChannel.Api or ReportChannel.Hotline, "channel", "web, api or hotline.");
    }
}

/// <summary>The stored report and where it went: a sighting, or (past the intake budget) a surge the dispatcher opens.</summary>
public sealed record ReportCreated(Guid Id, Guid? SightingId, Guid? SurgeId = null, bool Trusted = false);

/// <summary>Where <see cref="ReportsApi.FileAsync"/> put a report: exactly one of the two is set.</summary>
public sealed record Filed(Sighting? Sighting, Surge? Surge);

public static class ReportsApi
{
    public static RouteGroupBuilder MapReports(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/reports").WithTags("Reports").WithValidation()
            .RequireRateLimiting(RateLimits.Reports).AllowAnonymous();
        group.MapPost("/", CreateAsync);
        return group;
    }

    private static async Task<Results<Created<ReportCreated>, ForbidHttpResult>> CreateAsync(
        ReportRequest req, WhistleDb db, KeyRing keys, TimeProvider time, IOptions<WhistleOptions> options,
        ClaimsPrincipal user, IHubContext<SightingsHub> hub, HttpContext http, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        // Hotline reports are typed in by staff taking a call.
        if (req.Channel == ReportChannel.Hotline && !user.IsInRole(Roles.Dispatcher) && !user.IsInRole(Roles.Admin))
            return TypedResults.Forbid();
        var report = new Report
        {
            Channel = req.Channel ?? ReportChannel.Api,
            Activity = req.Activity!.Value,
            Lat = req.Lat,
            Lon = req.Lon,
            PlaceText = Clean(req.PlaceText),
            Agents = req.Agents,
            Vehicles = req.Vehicles,
            Agency = req.Agency ?? Agency.Unknown,
            ObservedAt = req.ObservedAt?.ToUniversalTime() ?? now,
            ReceivedAt = now,
            Equipment = Clean(req.Equipment),
            Text = Clean(req.Text),
        };
        if (Clean(req.Contact) is { } contact)
        {
            // A call-back number as people write it ("612-555-0142") is kept in E.164, so the dispatcher's phone dials it.
            contact = Subscriptions.Addresses.Phone(contact, o.Network.PhoneRegion) ?? contact;
            report.ContactCipher = keys.Encrypt(contact, Purpose.ReporterContact);
            report.ContactPurgeAt = now + (await Retention.EffectiveAsync(db, o.Retention, ct)).ReporterContact;
        }

        // Who sent it, as a keyed hash only: a trusted reporter's link, a hotline call, else the sender's network.
        if (await TrustedReporter.FindAsync(db, keys, req.ReporterToken, ct) is { } trusted)
        {
            report.TrustedReporterId = trusted.Id;
            report.SourceHash = Sources.Trusted(trusted.Id, keys);
            trusted.LastReportAt = now;
        }
        else if (report.Channel == ReportChannel.Hotline) report.SourceHash = Sources.Hotline(report.Id, keys);
        else report.SourceHash = Sources.Web(http.Connection.RemoteIpAddress, keys);

        var filed = await FileAsync(db, report, o, now, ct);
        await db.SaveChangesAsync(ct);
        if (filed.Sighting is { } sighting)
        {
            await SightingsHub.NotifyAsync(hub, db, sighting);
            return TypedResults.Created($"/api/v1/sightings/{sighting.Id}", new ReportCreated(report.Id, sighting.Id, null, report.Trusted));
        }
        await SightingsHub.NotifyAsync(hub, filed.Surge!);
        return TypedResults.Created($"/api/v1/surges/{filed.Surge!.Id}", new ReportCreated(report.Id, null, filed.Surge.Id));
    }

    /// <summary>
    /// Files a new report (added to the context, not yet saved; its <see cref="Report.SourceHash"/> set): within the
    /// intake budget it goes to the queue (<see cref="JoinSightingAsync"/>); past it, it is held in a surge.
    /// </summary>
    public static async Task<Filed> FileAsync(WhistleDb db, Report report, WhistleOptions o, DateTimeOffset now, CancellationToken ct)
    {
        report.Area = IntakeArea.Of(report.Lat, report.Lon, o.Intake.AreaCellDegrees);
        db.Reports.Add(report);
        if (!report.Trusted)
        {
            var budget = IntakeBudget.From(o.Intake);
            var since = now - IntakeBudget.Window;
            var area = report.Area;
            var hash = report.SourceHash;
            int queued = await db.Reports.CountAsync(r => r.ReceivedAt > since && r.SurgeId == null && r.Id != report.Id, ct);
            int inArea = await db.Reports.CountAsync(r => r.ReceivedAt > since && r.Area == area && r.Id != report.Id, ct);
            int fromSource = hash is null ? 0 : await db.Reports.CountAsync(r => r.ReceivedAt > since && r.SourceHash == hash && r.Id != report.Id, ct);
            var areaSurge = await OpenSurgeAsync(db, area, ct);
            var lane = budget.Decide(false, queued, inArea, areaSurge?.LastReportAt, fromSource, now);
            if (lane != IntakeLane.Queue)
            {
                var surge = lane == IntakeLane.AreaSurge ? areaSurge : await OpenSurgeAsync(db, IntakeArea.Network, ct);
                if (surge is null || now - surge.LastReportAt >= budget.Quiet)
                {
                    surge = Surge.Start(lane == IntakeLane.AreaSurge ? area : IntakeArea.Network, report, now);
                    db.Surges.Add(surge);
                    surge.Hold(report, newSource: true);
                }
                else
                {
                    var surgeId = surge.Id;
                    surge.Hold(report, hash is null || !await db.Reports.AnyAsync(r => r.SurgeId == surgeId && r.SourceHash == hash, ct));
                }
                return new Filed(null, surge);
            }
        }
        return new Filed(await JoinSightingAsync(db, report, o.Clustering, now, ct), null);
    }

    private static Task<Surge?> OpenSurgeAsync(WhistleDb db, string area, CancellationToken ct) =>
        db.Surges.Where(s => s.Area == area && s.State == SurgeState.Open).OrderByDescending(s => s.LastReportAt).FirstOrDefaultAsync(ct);

    /// <summary>
    /// Files a report to the queue (the report already in the context): it joins the nearest open sighting the
    /// clustering rule allows when it has a location, or starts a sighting of its own.
    /// </summary>
    public static async Task<Sighting> JoinSightingAsync(WhistleDb db, Report report, ClusteringOptions clustering, DateTimeOffset now, CancellationToken ct)
    {
        var rule = new ClusterRule(clustering.DistanceMeters, TimeSpan.FromMinutes(clustering.WindowMinutes));
        Sighting? sighting = null;
        if (report.Location is { } p)
        {
            // Candidates: open sightings within the time window (few: a sighting closes or expires within hours). Their
            // positions are sealed at rest (issue 13), so the distance is checked in memory, by the rule.
            var from = report.ObservedAt - rule.TimeWindow;
            var to = report.ObservedAt + rule.TimeWindow;
            var candidates = await db.Sightings
                .Where(s => (s.State == SightingState.New || s.State == SightingState.Verifying || s.State == SightingState.Confirmed)
                            && s.LastReportAt >= from && s.FirstReportAt <= to)
                .ToListAsync(ct);
            sighting = rule.Pick(candidates, report);
        }
        if (sighting is null)
        {
            sighting = Sighting.StartFrom(report, now);
            db.Sightings.Add(sighting);
        }
        else
        {
            var (sightingId, hash) = (sighting.Id, report.SourceHash);
            bool heard = hash is not null && await db.Reports.AnyAsync(r => r.SightingId == sightingId && r.SourceHash == hash && r.Id != report.Id, ct);
            sighting.Absorb(report, now, newSource: !heard);
        }
        return sighting;
    }

    private static string? Clean(string? s) => Text.Clean(s)?.Trim() is { Length: > 0 } t ? t : null;
}
