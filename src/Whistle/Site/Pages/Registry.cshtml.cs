using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Registry;

namespace Whistle.Site.Pages;

/// <summary>
/// The public accountability registry (/registry): totals, two charts drawn on the server (inline SVG, no
/// script), the published incidents as a table, the downloads and what is and is not published.
/// </summary>
public sealed class RegistryModel(WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options) : SitePage
{
    public IReadOnlyList<RegistryRow> Rows { get; private set; } = [];
    public RegistryStats Stats { get; private set; } = RegistryStats.Of(RegistryRelease.Empty);
    public string MonthlySvg { get; private set; } = "";
    public string CategoriesSvg { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        // The same release as the downloads: the small-numbers rule (SmallCells) applies to the page too.
        var release = await RegistryApi.ReleaseAsync(db, zones.Current, options.Value, ct);
        Rows = release.Rows;
        Stats = RegistryStats.Of(release);
        MonthlySvg = RegistryCharts.Monthly(Stats, Lang).Render();
        CategoriesSvg = RegistryCharts.Categories(Stats, Lang).Render();
    }

    public string Area(RegistryRow r) => r.Area switch
    {
        RegistryRow.UnknownArea => T("registry.unknownArea"),
        SmallCells.AllAreas when r.Lat is null => T("registry.allAreas"),
        _ => r.Area,
    };

    /// <summary>A count as published: the number, or "fewer than k".</summary>
    public string Count(int? n) => n?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? FewerThan;
    public string FewerThan => T("registry.fewerThan").Replace("{k}", Stats.MinCellSize.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    public string SmallNumbers => T("registry.smallNumbers").Replace("{k}", Stats.MinCellSize.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    /// <summary>A machine-readable date for a month ("2026-01") or a year ("2026"); none for a quarter (HTML has no such date).</summary>
    public static string? DateTimeOf(string period) => period.Contains('Q', StringComparison.Ordinal) ? null : period;
    public string Category(string category) => T("incident.category." + category);
    public string Status(string status) => T("incident.status." + status);
    public string Agency(string agency) => T("incident.agency." + agency);
}
