using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Identity;
using Whistle.Network;
using Whistle.Platform;

namespace Whistle.Privacy;

/// <summary>
/// How long personal data and delivery records are kept: the admin's choice on the network profile where set,
/// else the configured default (Whistle:Retention:*). The one place every purge and statement reads them from.
/// </summary>
public sealed record Retention(double ReporterContactHours, double UnsubscribedAddressHours, double DeliveryRecordDays,
    double CoarsenReportDays = 30, double DeleteReportDays = 180)
{
    public TimeSpan ReporterContact => TimeSpan.FromHours(ReporterContactHours);
    public TimeSpan UnsubscribedAddress => TimeSpan.FromHours(UnsubscribedAddressHours);
    public TimeSpan DeliveryRecords => TimeSpan.FromDays(DeliveryRecordDays);
    /// <summary>Reports and sightings not in an incident file: exact position → neighbourhood, words wiped (<see cref="RetentionRules"/>).</summary>
    public TimeSpan CoarsenReports => TimeSpan.FromDays(CoarsenReportDays);
    /// <summary>Reports and sightings not in an incident file: deleted.</summary>
    public TimeSpan DeleteReports => TimeSpan.FromDays(DeleteReportDays);

    // Bounds an admin may choose within (the configured defaults are not bound by them).
    public const double MinContactHours = 1, MaxContactHours = 30 * 24;
    public const double MinAddressHours = 1, MaxAddressHours = 30 * 24;
    public const double MinDeliveryDays = 1, MaxDeliveryDays = 365;
    public const double MinCoarsenDays = 1, MaxCoarsenDays = 365;
    public const double MinDeleteDays = 1, MaxDeleteDays = 3650;

    public static Retention Effective(NetworkProfile? profile, RetentionOptions defaults) => new(
        profile?.ReporterContactHours ?? defaults.ReporterContactHours,
        profile?.UnsubscribedAddressHours ?? defaults.UnsubscribedAddressHours,
        profile?.DeliveryRecordDays ?? defaults.DeliveryRecordDays,
        profile?.CoarsenReportDays ?? defaults.CoarsenReportDays,
        profile?.DeleteReportDays ?? defaults.DeleteReportDays);

    public static async Task<Retention> EffectiveAsync(WhistleDb db, RetentionOptions defaults, CancellationToken ct = default) =>
        Effective(await db.Network.AsNoTracking().OrderBy(n => n.Id).FirstOrDefaultAsync(ct), defaults);
}

/// <summary>null resets a period to the configured default.</summary>
public sealed record RetentionEdit(double? ReporterContactHours, double? UnsubscribedAddressHours, double? DeliveryRecordDays,
    double? CoarsenReportDays = null, double? DeleteReportDays = null) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        Check(p, ReporterContactHours, Retention.MinContactHours, Retention.MaxContactHours, "reporterContactHours",
            "Keep a reporter's call-back contact between 1 hour and 720 hours (30 days).");
        Check(p, UnsubscribedAddressHours, Retention.MinAddressHours, Retention.MaxAddressHours, "unsubscribedAddressHours",
            "Keep an unsubscribed address between 1 hour and 720 hours (30 days).");
        Check(p, DeliveryRecordDays, Retention.MinDeliveryDays, Retention.MaxDeliveryDays, "deliveryRecordDays",
            "Keep delivery records between 1 and 365 days.");
        Check(p, CoarsenReportDays, Retention.MinCoarsenDays, Retention.MaxCoarsenDays, "coarsenReportDays",
            "Coarsen reports and sightings after 1 to 365 days.");
        Check(p, DeleteReportDays, Retention.MinDeleteDays, Retention.MaxDeleteDays, "deleteReportDays",
            "Delete reports and sightings after 1 to 3650 days.");
        // Coarsening after deleting would never happen: the deletion must not come first (defaults count where a field is empty).
        var d = services.GetService<IOptions<WhistleOptions>>()?.Value.Retention ?? new RetentionOptions();
        double coarsen = CoarsenReportDays ?? d.CoarsenReportDays, delete = DeleteReportDays ?? d.DeleteReportDays;
        p.Require(!double.IsFinite(coarsen) || !double.IsFinite(delete) || coarsen <= delete, "deleteReportDays",
            "Delete reports and sightings no sooner than they are coarsened.");
    }

    private static void Check(Problems p, double? value, double min, double max, string field, string message) =>
        p.Require(value is null || (double.IsFinite(value.Value) && value >= min && value <= max), field, message);
}

/// <summary>One period: what applies now, the configured default, and whether the default is what applies.</summary>
public sealed record RetentionPeriod(double Value, double Default, bool IsDefault, double Min, double Max);

public sealed record RetentionView(RetentionPeriod ReporterContactHours, RetentionPeriod UnsubscribedAddressHours, RetentionPeriod DeliveryRecordDays,
    RetentionPeriod CoarsenReportDays, RetentionPeriod DeleteReportDays, double UnconfirmedSignupHours);

public static class RetentionApi
{
    public static RouteGroupBuilder MapRetention(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/retention").WithTags("Retention").WithValidation().RequireAuthorization(Policies.Admin);
        group.MapGet("/", GetAsync);
        group.MapPut("/", SetAsync);
        return group;
    }

    private static async Task<Ok<RetentionView>> GetAsync(WhistleDb db, IOptions<WhistleOptions> options, CancellationToken ct) =>
        TypedResults.Ok(View(await db.Network.AsNoTracking().OrderBy(n => n.Id).FirstOrDefaultAsync(ct), options.Value));

    private static async Task<Results<Ok<RetentionView>, NotFound>> SetAsync(
        RetentionEdit req, WhistleDb db, IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var profile = await db.Network.OrderBy(n => n.Id).FirstOrDefaultAsync(ct);
        if (profile is null) return TypedResults.NotFound();
        profile.ReporterContactHours = req.ReporterContactHours;
        profile.UnsubscribedAddressHours = req.UnsubscribedAddressHours;
        profile.DeliveryRecordDays = req.DeliveryRecordDays;
        profile.CoarsenReportDays = req.CoarsenReportDays;
        profile.DeleteReportDays = req.DeleteReportDays;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(profile, options.Value));
    }

    private static RetentionView View(NetworkProfile? p, WhistleOptions o)
    {
        var d = o.Retention;
        var e = Retention.Effective(p, d);
        return new(
            new(e.ReporterContactHours, d.ReporterContactHours, p?.ReporterContactHours is null, Retention.MinContactHours, Retention.MaxContactHours),
            new(e.UnsubscribedAddressHours, d.UnsubscribedAddressHours, p?.UnsubscribedAddressHours is null, Retention.MinAddressHours, Retention.MaxAddressHours),
            new(e.DeliveryRecordDays, d.DeliveryRecordDays, p?.DeliveryRecordDays is null, Retention.MinDeliveryDays, Retention.MaxDeliveryDays),
            new(e.CoarsenReportDays, d.CoarsenReportDays, p?.CoarsenReportDays is null, Retention.MinCoarsenDays, Retention.MaxCoarsenDays),
            new(e.DeleteReportDays, d.DeleteReportDays, p?.DeleteReportDays is null, Retention.MinDeleteDays, Retention.MaxDeleteDays),
            o.Subscriptions.UnconfirmedHours);
    }
}
