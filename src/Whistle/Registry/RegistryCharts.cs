using Whistle.Site;

namespace Whistle.Registry;

/// <summary>
/// The registry's two charts, in a language: incidents by published period and by category, from the statistics
/// (so under the same small-numbers rule; a count shown as "fewer than k" has no bar).
/// </summary>
public static class RegistryCharts
{
    public static BarChart Monthly(RegistryStats stats, string lang) =>
        new("chart-monthly", Ui.T(lang, "registry.chart.monthly"), Ui.T(lang, "registry.col.month"), Ui.T(lang, "registry.chart.count"),
            stats.ByMonth.Where(m => m.Incidents is not null).Select(m => (m.Month, m.Incidents!.Value)).ToList())
        {
            EmptyText = Ui.T(lang, "registry.none"), DescriptionPrefix = Ui.T(lang, "registry.chart.desc"),
        };

    public static BarChart Categories(RegistryStats stats, string lang) =>
        new("chart-categories", Ui.T(lang, "registry.chart.categories"), Ui.T(lang, "registry.col.category"), Ui.T(lang, "registry.chart.count"),
            stats.ByCategory.Where(c => c.Incidents is not null).Select(c => (Ui.T(lang, "incident.category." + c.Category), c.Incidents!.Value)).ToList())
        {
            EmptyText = Ui.T(lang, "registry.none"), DescriptionPrefix = Ui.T(lang, "registry.chart.desc"),
        };
}
