using Whistle.Site;

namespace Whistle.Registry;

/// <summary>The registry's two charts, in a language: incidents by month and by category.</summary>
public static class RegistryCharts
{
    public static BarChart Monthly(RegistryStats stats, string lang) =>
        new("chart-monthly", Ui.T(lang, "registry.chart.monthly"), Ui.T(lang, "registry.col.month"), Ui.T(lang, "registry.chart.count"),
            stats.ByMonth.Select(m => (m.Month, m.Incidents)).ToList())
        {
            EmptyText = Ui.T(lang, "registry.none"), DescriptionPrefix = Ui.T(lang, "registry.chart.desc"),
        };

    public static BarChart Categories(RegistryStats stats, string lang) =>
        new("chart-categories", Ui.T(lang, "registry.chart.categories"), Ui.T(lang, "registry.col.category"), Ui.T(lang, "registry.chart.count"),
            stats.ByCategory.Select(c => (Ui.T(lang, "incident.category." + c.Category), c.Incidents)).ToList())
        {
            EmptyText = Ui.T(lang, "registry.none"), DescriptionPrefix = Ui.T(lang, "registry.chart.desc"),
        };
}
