using Microsoft.Extensions.Options;
using Whistle.Data;

namespace Whistle.Site.Pages;

/// <summary>
/// The public report form (SALUTE: size, activity, location, uniform, time, equipment). The form posts to
/// <c>POST /api/v1/reports</c> from Web/js/report.js; offline, the report waits in IndexedDB (Web/js/queue.js)
/// and the service worker (Web/sw.js) sends it when the phone is back online.
/// </summary>
public sealed class ReportModel(IOptions<WhistleOptions> options, IOptions<SiteOptions> site, WhistleDb db) : SitePage
{
    public SiteOptions Tiles => site.Value;

    /// <summary>How long a reporter's call-back contact is kept, in whole hours (the admin's setting, else Whistle:Retention:ReporterContactHours).</summary>
    public string ContactHours { get; private set; } = "";

    public static readonly string[] Activities = ["home_raid", "workplace_raid", "checkpoint", "arrest", "patrol", "other"];
    public static readonly string[] Agencies = ["ice", "cbp", "police", "unknown", "other"];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var hours = (await Privacy.Retention.EffectiveAsync(db, options.Value.Retention, ct)).ReporterContactHours;
        ContactHours = Math.Ceiling(hours).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
