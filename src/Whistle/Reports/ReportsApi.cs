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
    DateTimeOffset? ObservedAt, string? Equipment, string? Text, string? Contact, ReportChannel? Channel) : IValidatable
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
        p.Require(Agents is null or >= 0 and <= 1000, "agents", "Between 0 and 1000.");
        p.Require(Vehicles is null or >= 0 and <= 1000, "vehicles", "Between 0 and 1000.");
        p.Require(ObservedAt is null || (ObservedAt <= now.AddMinutes(10) && ObservedAt >= now.AddDays(-7)), "observedAt", "A time in the last seven days.");
        p.Require(Channel is null or ReportChannel.Web or ReportChannel.Api or ReportChannel.Hotline, "channel", "web, api or hotline.");
    }
}

public sealed record ReportCreated(Guid Id, Guid SightingId);

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
        ClaimsPrincipal user, IHubContext<SightingsHub> hub, CancellationToken ct)
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
            report.ContactCipher = keys.Encrypt(contact, Purpose.ReporterContact);
            report.ContactPurgeAt = now + (await Retention.EffectiveAsync(db, o.Retention, ct)).ReporterContact;
        }

        var sighting = await FileAsync(db, report, o.Clustering, now, ct);
        await db.SaveChangesAsync(ct);
        await SightingsHub.NotifyAsync(hub, db, sighting);
        return TypedResults.Created($"/api/v1/sightings/{sighting.Id}", new ReportCreated(report.Id, sighting.Id));
    }

    /// <summary>
    /// Files a new report (added to the context, not yet saved): it joins the nearest open sighting the
    /// clustering rule allows when it has a location, or starts a sighting of its own.
    /// </summary>
    public static async Task<Sighting> FileAsync(WhistleDb db, Report report, ClusteringOptions clustering, DateTimeOffset now, CancellationToken ct)
    {
        var rule = new ClusterRule(clustering.DistanceMeters, TimeSpan.FromMinutes(clustering.WindowMinutes));
        Sighting? sighting = null;
        if (report.Location is { } p)
        {
            // Candidates: open sightings in a box around the report and within the time window.
            double dLat = rule.DistanceMeters / 111_000.0, dLon = dLat / Math.Max(0.05, Math.Cos(p.Lat * Math.PI / 180));
            var from = report.ObservedAt - rule.TimeWindow;
            var to = report.ObservedAt + rule.TimeWindow;
            var candidates = await db.Sightings
                .Where(s => (s.State == SightingState.New || s.State == SightingState.Verifying || s.State == SightingState.Confirmed)
                            && s.LastReportAt >= from && s.FirstReportAt <= to
                            && s.Lat >= p.Lat - dLat && s.Lat <= p.Lat + dLat && s.Lon >= p.Lon - dLon && s.Lon <= p.Lon + dLon)
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
            sighting.Absorb(report, now);
        }
        db.Reports.Add(report);
        return sighting;
    }

    private static string? Clean(string? s) => PlainText.Clean(s, multiline: true);
}
