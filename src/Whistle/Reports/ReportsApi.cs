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
        ReportRequest req, KeyRing keys, TimeProvider time, IOptions<WhistleOptions> options,
        ClaimsPrincipal user, IntakeWriter writer, HttpContext http, CancellationToken ct)
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
            report.ContactPurgeAt = now + (await Retention.EffectiveAsync(Db(http), o.Retention, ct)).ReporterContact;
        }

        // Who sent it, as a keyed hash only: a trusted reporter's link, a hotline call, else the sender's network.
        if (req.ReporterToken is not null && await TrustedReporter.FindAsync(Db(http), keys, req.ReporterToken, ct) is { } trusted)
        {
            report.TrustedReporterId = trusted.Id; // the writer records when the reporter was last heard
            report.SourceHash = Sources.Trusted(trusted.Id, keys);
        }
        else if (report.Channel == ReportChannel.Hotline) report.SourceHash = Sources.Hotline(report.Id, keys);
        else report.SourceHash = Sources.Web(http.Connection.RemoteIpAddress, keys);

        // Handed to the node's intake writer, which commits it with the others waiting (a group commit) and answers once
        // it is durable.
        var filed = await writer.FileAsync(report, ct);
        if (filed.Sighting is { } sighting)
            return TypedResults.Created($"/api/v1/sightings/{sighting.Id}", new ReportCreated(report.Id, sighting.Id, null, report.Trusted));
        return TypedResults.Created($"/api/v1/surges/{filed.Surge!.Id}", new ReportCreated(report.Id, null, filed.Surge.Id));
    }

    /// <summary>
    /// Files one new report in the caller's unit of work (added to the context, not yet saved; its <see cref="Report.SourceHash"/>
    /// set): the SMS dialogue's path. The API's reports go through the <see cref="IntakeWriter"/>, with the same rules.
    /// </summary>
    public static async Task<Filed> FileAsync(WhistleDb db, Report report, WhistleOptions o, DateTimeOffset now, CancellationToken ct)
    {
        await IntakeLock.TakeAsync(db, ct); // in the caller's transaction: no node's writer files beside it
        var window = report.Trusted ? new IntakeWindow(0, new())
            : await IntakeWindow.ForOneAsync(db, IntakeArea.Of(report.Lat, report.Lon, o.Intake.AreaCellDegrees), IntakeBudget.From(o.Intake), now, ct);
        return await new IntakeFiling(db, o, now, window).FileAsync(report, ct);
    }

    /// <summary>Files a report already in the context to the queue: it joins the nearest open sighting, or starts one.</summary>
    public static Task<Sighting> JoinSightingAsync(WhistleDb db, Report report, WhistleOptions o, DateTimeOffset now, CancellationToken ct) =>
        new IntakeFiling(db, o, now, new IntakeWindow(0, new())).JoinSightingAsync(report, ct);

    // Most reports need no database here (the writer files them): a context is made only for a contact or a reporter's link.
    private static WhistleDb Db(HttpContext http) => http.RequestServices.GetRequiredService<WhistleDb>();

    private static string? Clean(string? s) => Text.Clean(s)?.Trim() is { Length: > 0 } t ? t : null;
}
