using Microsoft.Extensions.Options;
using Whistle.Geo;

namespace Whistle.Site.Pages;

/// <summary>
/// Sign-up for alerts (/subscribe): channel (SMS, e-mail or this browser by web push), language, and the area
/// as neighbourhoods (map or checkbox list) or a point with a radius; then the 6-digit code (double opt-in).
/// Web/js/subscribe.js talks to <c>POST /api/v1/subscriptions</c> and <c>/subscriptions/confirm</c>.
/// </summary>
public sealed class SubscribeModel(ZoneRegistry zones, IOptions<SiteOptions> site) : SitePage
{
    public SiteOptions Tiles => site.Value;
    public IEnumerable<(int Id, string Name)> Zones => zones.Current.All.OrderBy(z => z.Name, StringComparer.Ordinal).Select(z => (z.Id, z.Name));
    public static readonly int[] Radii = [500, 1000, 1500, 3000, 5000];

    public void OnGet() { }
}
