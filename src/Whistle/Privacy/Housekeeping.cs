using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Subscriptions;
using Whistle.Verification;

namespace Whistle.Privacy;

/// <summary>
/// The schedule that keeps little: reporters' contacts are wiped when their time is up,
/// an unsubscribed address is wiped a day after its last notice (sent codes are wiped as they are sent), and
/// sightings nobody verified in time become "unconfirmed"; handled SMS message ids go after two days and
/// a texting number's conversation state a month after its last text.
/// </summary>
public sealed class Housekeeping(IServiceScopeFactory scopes, TimeProvider time, IOptions<WhistleOptions> options, ILogger<Housekeeping> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        do
        {
            try { await RunOnceAsync(stop); }
            catch (Exception ex) when (!stop.IsCancellationRequested) { log.LogError(ex, "Housekeeping pass failed"); }
        } while (await timer.WaitForNextTickAsync(stop));
    }

    public static readonly TimeSpan FanoutOrderKept = TimeSpan.FromDays(7);

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var now = time.GetUtcNow();
        var o = options.Value;

        int contacts = await db.Reports.Where(r => r.ContactCipher != null && r.ContactPurgeAt <= now)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.ContactCipher, (byte[]?)null), ct);

        var dayAgo = now.AddDays(-1);
        int addresses = await db.Subscribers.Where(s => s.State == SubscriberState.Unsubscribed && s.AddressCipher != null && s.ChangedAt <= dayAgo)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.AddressCipher, (byte[]?)null), ct);

        var stale = now.AddMinutes(-o.Clustering.ExpireAfterMinutes);
        var expired = await db.Sightings
            .Where(s => (s.State == SightingState.New || s.State == SightingState.Verifying) && s.LastReportAt <= stale)
            .ToListAsync(ct);
        foreach (var s in expired)
            db.SightingTransitions.Add(s.MoveTo(SightingState.Unconfirmed, "system", $"not verified within {o.Clustering.ExpireAfterMinutes} minutes", now));
        await db.SaveChangesAsync(ct);

        // A fan-out's nearest-first order (8 MB for a million recipients) is needed while it sends and for
        // its updates and cancel; a week after the alert expired, with every lane through it, it goes.
        var orderKept = now - FanoutOrderKept;
        int orders = await db.FanoutOrders
            .Where(f => db.Alerts.Any(a => a.Id == f.AlertId && a.ExpiresAt <= orderKept)
                        && !db.Fanouts.Any(x => x.AlertId == f.AlertId && x.Cursor < x.Total))
            .ExecuteDeleteAsync(ct);

        // Retried webhooks come within minutes; a number's SMS conversation state goes a month after its last text.
        var receiptsBefore = now - Inbound.SmsReceipt.KeptFor;
        await db.SmsReceipts.Where(r => r.ReceivedAt <= receiptsBefore).ExecuteDeleteAsync(ct);
        var idleBefore = now.AddDays(-30);
        await db.SmsConversations.Where(c => c.UpdatedAt <= idleBefore).ExecuteDeleteAsync(ct);

        if (contacts + addresses + expired.Count + orders > 0)
            log.LogInformation("Housekeeping: {Contacts} contacts purged, {Addresses} addresses purged, {Sightings} sightings expired, {Orders} fan-out orders dropped",
                contacts, addresses, expired.Count, orders);
    }
}

public static class HousekeepingSetup
{
    public static WebApplicationBuilder AddHousekeeping(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Housekeeping>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Housekeeping>());
        return builder;
    }
}
