using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// Sends an alert: renders it in every language, resolves its recipients from the targeting
/// index (nearest first), and writes the alert and one delivery per recipient in one transaction.
/// Also sends the updates and cancels that follow it, to exactly the people the original reached.
/// </summary>
public sealed class PublishAlert(
    WhistleDb db, ZoneRegistry zones, SubscriberIndexSync index, DeliverySignal signal, TimeProvider time)
{
    public async Task<Alert> SendAsync(Alert alert, DateTimeOffset observedAt, CancellationToken ct)
    {
        var catalog = zones.Current;
        var area = alert.Area;
        if (alert.OriginLat == 0 && alert.OriginLon == 0)
        {
            var c = area.Centre(catalog);
            (alert.OriginLat, alert.OriginLon) = (c.Lat, c.Lon);
        }
        alert.Messages = await RenderAsync(alert, observedAt, ct);

        await index.CatchUpAsync(db, ct);
        var recipients = index.Index.Resolve(area, new GeoPoint(alert.OriginLat, alert.OriginLon), catalog);
        alert.Recipients = recipients.Length;

        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Alerts.Add(alert);
            await db.SaveChangesAsync(ct);
            await DeliveryStore.EnqueueAsync(db, alert.Id, Delivery.Delivery.PriorityAlert,
                Array.ConvertAll(recipients, r => r.SubscriberId), alert.SentAt, ct);
            await tx.CommitAsync(ct);
        });
        signal.Poke();
        return alert;
    }

    /// <summary>
    /// An update or cancel of <paramref name="original"/>, to everyone it reached or may be reaching
    /// right now (a delivery under lease). A cancel also stops what the original has not yet sent.
    /// </summary>
    public async Task<Alert> FollowUpAsync(Alert original, AlertKind kind, CancelReason? reason, string actor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var follow = new Alert
        {
            Kind = kind,
            ReferencesId = original.Id,
            SightingId = original.SightingId,
            Drill = original.Drill,
            Activity = original.Activity,
            Place = original.Place,
            CircleLat = original.CircleLat,
            CircleLon = original.CircleLon,
            CircleRadiusMeters = original.CircleRadiusMeters,
            Zones = original.Zones,
            OriginLat = original.OriginLat,
            OriginLon = original.OriginLon,
            CancelReason = reason,
            SentAt = now,
            ExpiresAt = kind == AlertKind.Cancel ? now : original.ExpiresAt,
            SentBy = actor,
        };
        follow.Messages = await RenderAsync(follow, original.SentAt, ct);
        int priority = kind == AlertKind.Cancel ? Delivery.Delivery.PriorityCancel : Delivery.Delivery.PriorityAlert;

        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var nowDb = DeliveryStore.Time(db, now);
            var origId = DeliveryStore.Id(db, original.Id);
            if (kind == AlertKind.Cancel)
            {
                original.CancelledAt = now;
                db.Alerts.Update(original);
                // What has not gone out and is not in flight will not go out.
                await db.Database.ExecuteSqlRawAsync("""
                    UPDATE "Deliveries" SET "State" = 3, "LastError" = 'superseded by cancel'
                    WHERE "AlertId" = {0} AND "State" IN (0, 2) AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {1})
                    """, [origId, nowDb], ct);
            }
            db.Alerts.Add(follow);
            await db.SaveChangesAsync(ct);
            follow.Recipients = await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO "Deliveries" ("AlertId", "SubscriberId", "Priority", "State", "Attempts", "NextAttemptAt")
                SELECT {0}, "SubscriberId", {1}, 0, 0, {2} FROM "Deliveries"
                WHERE "AlertId" = {3} AND ("State" = 1 OR ("State" IN (0, 2) AND "LeaseUntil" >= {2}))
                ORDER BY "Id"
                """, [DeliveryStore.Id(db, follow.Id), priority, nowDb, origId], ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        });
        signal.Poke();
        return follow;
    }

    private async Task<Dictionary<string, string>> RenderAsync(Alert alert, DateTimeOffset observedAt, CancellationToken ct)
    {
        var templates = TemplateSet.From(await db.Templates.AsNoTracking().ToListAsync(ct));
        var tzId = await db.Network.OrderBy(n => n.Id).Select(n => n.TimeZone).FirstOrDefaultAsync(ct) ?? "UTC";
        var tz = TimeZoneInfo.TryFindSystemTimeZoneById(tzId, out var found) ? found : TimeZoneInfo.Utc;
        return templates.Render(alert, observedAt, tz);
    }
}

public static class AlertsSetup
{
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<PublishAlert>();
        return builder;
    }
}
