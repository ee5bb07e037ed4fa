using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Site.Pages;

/// <summary>The base of every page: the visitor's language and the network's name.</summary>
public abstract class SitePage : PageModel
{
    public string Lang { get; private set; } = "en";
    public string NetworkName { get; private set; } = "Whistle";
    /// <summary>The network's time zone: every time on every page is shown in it (issue 12 §4), scripts read it from &lt;html data-tz&gt;.</summary>
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;
    public string ZoneId => Zone.Id;

    public string T(string key) => Ui.T(Lang, key);

    /// <summary>A time of day in the network's zone and the visitor's language, with the zone: "12:58 PM CST".</summary>
    public string Time(DateTimeOffset t) => Network.Clock.TimeOfDay(t, Zone, Lang);

    /// <summary>A date (and time) no more precise than it is known, in the network's zone.</summary>
    public string When(DateTimeOffset t, Network.TimePrecision precision) => Network.Clock.Format(t, precision, Zone, Lang);

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        Lang = Ui.LanguageOf(HttpContext);
        var db = HttpContext.RequestServices.GetRequiredService<WhistleDb>();
        var network = await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => new { n.Name, n.TimeZone }).FirstOrDefaultAsync();
        NetworkName = network?.Name ?? "Whistle";
        Zone = network?.TimeZone is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
        await next();
    }
}
