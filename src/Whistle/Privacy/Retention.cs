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
public sealed record Retention(double ReporterContactHours, double UnsubscribedAddressHours, double DeliveryRecordDays)
{
    public TimeSpan ReporterContact => TimeSpan.FromHours(ReporterContactHours);
    public TimeSpan UnsubscribedAddress => TimeSpan.FromHours(UnsubscribedAddressHours);
    public TimeSpan DeliveryRecords => TimeSpan.FromDays(DeliveryRecordDays);

    // Bounds an admin may choose within (the configured defaults are not bound by them).
    public const double MinContactHours = 1, MaxContactHours = 30 * 24;
    public const double MinAddressHours = 1, MaxAddressHours = 30 * 24;
    public const double MinDeliveryDays = 1, MaxDeliveryDays = 365;

    public static Retention Effective(NetworkProfile? profile, RetentionOptions defaults) => new(
        profile?.ReporterContactHours ?? defaults.ReporterContactHours,
        profile?.UnsubscribedAddressHours ?? defaults.UnsubscribedAddressHours,
        profile?.DeliveryRecordDays ?? defaults.DeliveryRecordDays);

    public static async Task<Retention> EffectiveAsync(WhistleDb db, RetentionOptions defaults, CancellationToken ct = default) =>
        Effective(await db.Network.AsNoTracking().OrderBy(n => n.Id).FirstOrDefaultAsync(ct), defaults);
}

/// <summary>null resets a period to the configured default.</summary>
public sealed record RetentionEdit(double? ReporterContactHours, double? UnsubscribedAddressHours, double? DeliveryRecordDays) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        Check(p, ReporterContactHours, Retention.MinContactHours, Retention.MaxContactHours, "reporterContactHours",
            "Keep a reporter's call-back contact between 1 hour and 720 hours (30 days).");
        Check(p, UnsubscribedAddressHours, Retention.MinAddressHours, Retention.MaxAddressHours, "unsubscribedAddressHours",
            "Keep an unsubscribed address between 1 hour and 720 hours (30 days).");
        Check(p, DeliveryRecordDays, Retention.MinDeliveryDays, Retention.MaxDeliveryDays, "deliveryRecordDays",
            "Keep delivery records between 1 and 365 days.");
    }

    private static void Check(Problems p, double? value, double min, double max, string field, string message) =>
        p.Require(value is null || (double.IsFinite(value.Value) && value >= min && value <= max), field, message);
}

/// <summary>One period: what applies now, the configured default, and whether the default is what applies.</summary>
public sealed record RetentionPeriod(double Value, double Default, bool IsDefault, double Min, double Max);

public sealed record RetentionView(RetentionPeriod ReporterContactHours, RetentionPeriod UnsubscribedAddressHours, RetentionPeriod DeliveryRecordDays);

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
        TypedResults.Ok(View(await db.Network.AsNoTracking().OrderBy(n => n.Id).FirstOrDefaultAsync(ct), options.Value.Retention));

    private static async Task<Results<Ok<RetentionView>, NotFound>> SetAsync(
        RetentionEdit req, WhistleDb db, IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var profile = await db.Network.OrderBy(n => n.Id).FirstOrDefaultAsync(ct);
        if (profile is null) return TypedResults.NotFound();
        profile.ReporterContactHours = req.ReporterContactHours;
        profile.UnsubscribedAddressHours = req.UnsubscribedAddressHours;
        profile.DeliveryRecordDays = req.DeliveryRecordDays;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(profile, options.Value.Retention));
    }

    private static RetentionView View(NetworkProfile? p, RetentionOptions d)
    {
        var e = Retention.Effective(p, d);
        return new(
            new(e.ReporterContactHours, d.ReporterContactHours, p?.ReporterContactHours is null, Retention.MinContactHours, Retention.MaxContactHours),
            new(e.UnsubscribedAddressHours, d.UnsubscribedAddressHours, p?.UnsubscribedAddressHours is null, Retention.MinAddressHours, Retention.MaxAddressHours),
            new(e.DeliveryRecordDays, d.DeliveryRecordDays, p?.DeliveryRecordDays is null, Retention.MinDeliveryDays, Retention.MaxDeliveryDays));
    }
}
