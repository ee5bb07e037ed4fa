using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;

namespace Whistle.Site.Pages;

/// <summary>The public home: active verified alerts on a map and as a list, in the visitor's language.</summary>
public sealed class IndexModel(WhistleDb db, TimeProvider time, IOptions<SiteOptions> site, Geo.ZoneRegistry zones,
    Federation.PublicPartnerAlerts shownPartners) : SitePage
{
    public sealed record ActiveAlert(Guid Id, string Text, DateTimeOffset ExpiresAt);

    public List<ActiveAlert> Alerts { get; private set; } = [];
    /// <summary>Partner networks' alerts ("From &lt;partner&gt;: headline"), in the visitor's language when the partner sent it.</summary>
    public List<ActiveAlert> PartnerAlerts { get; private set; } = [];
    public SiteOptions Tiles => site.Value;
    /// <summary>A new network without zones or alerts yet: the page says it is being set up instead of showing a blank map.</summary>
    public bool SettingUp { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var alerts = await db.Alerts.AsNoTracking()
            .Where(a => a.Kind == AlertKind.Alert && !a.Drill && !a.AwaitingApproval && a.CancelledAt == null && a.ExpiresAt > now)
            .OrderByDescending(a => a.SentAt).Take(100).ToListAsync(ct);
        Alerts = alerts.Select(a => new ActiveAlert(a.Id, a.Messages.GetValueOrDefault(Lang) ?? a.Messages.GetValueOrDefault("en") ?? "", a.ExpiresAt)).ToList();
        // The same shared, fair, bounded set as /api/v1/partner-alerts (enabled partners, nothing hidden): decision 0033.
        var partners = (await shownPartners.GetAsync(db, ct)).Rows.Take(100).ToList();
        PartnerAlerts = partners.Select(p => new ActiveAlert(p.Id,
            T("alert.from").Replace("{partner}", p.Partner, StringComparison.Ordinal) + ": "
            + (p.Headlines.GetValueOrDefault(Lang) ?? p.Headlines.GetValueOrDefault("en") ?? p.Headlines.Values.FirstOrDefault() ?? p.AreaDesc),
            p.ExpiresAt)).ToList();
        SettingUp = zones.Current.All.Count == 0 && Alerts.Count == 0 && PartnerAlerts.Count == 0;
    }
}
