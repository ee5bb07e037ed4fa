using Whistle.Data;
using Whistle.Geo;
using Whistle.Registry;

namespace Whistle.Site.Pages;

/// <summary>
/// The public accountability registry (/registry): totals, two charts drawn on the server (inline SVG, no
/// script), the published incidents as a table, the downloads and what is and is not published.
/// </summary>
public sealed class RegistryModel(WhistleDb db, ZoneRegistry zones) : SitePage
{
    public List<RegistryRow> Rows { get; private set; } = [];
    public RegistryStats Stats { get; private set; } = RegistryStats.Of([]);
    public string MonthlySvg { get; private set; } = "";
    public string CategoriesSvg { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        Rows = await RegistryApi.RowsAsync(db, zones.Current, ct);
        Stats = RegistryStats.Of(Rows);
        MonthlySvg = RegistryCharts.Monthly(Stats, Lang).Render();
        CategoriesSvg = RegistryCharts.Categories(Stats, Lang).Render();
    }

    public string Area(RegistryRow r) => r.Area == RegistryRow.UnknownArea ? T("registry.unknownArea") : r.Area;
    public string Category(string category) => T("incident.category." + category);
    public string Status(string status) => T("incident.status." + status);
    public string Agency(string agency) => T("incident.agency." + agency);
}
