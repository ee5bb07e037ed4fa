namespace Whistle.Registry;

public sealed record MonthCount(string Month, int Incidents, int PeopleAffected, int Injured, int Deaths);
public sealed record CategoryCount(string Category, int Incidents);
public sealed record AgencyCount(string Agency, int Incidents);
public sealed record StatusCount(string Status, int Incidents);

/// <summary>
/// Totals of the published incidents, computed from the public rows only (so they cannot say more than the
/// rows do). An incident with several agencies counts once for each of them.
/// </summary>
public sealed record RegistryStats(
    int Incidents, int PeopleAffected, int Injured, int Deaths,
    IReadOnlyList<MonthCount> ByMonth, IReadOnlyList<CategoryCount> ByCategory,
    IReadOnlyList<AgencyCount> ByAgency, IReadOnlyList<StatusCount> ByStatus)
{
    public static RegistryStats Of(IReadOnlyCollection<RegistryRow> rows) => new(
        rows.Count, rows.Sum(r => r.PeopleAffected), rows.Sum(r => r.Injured), rows.Sum(r => r.Deaths),
        // Months with data, oldest first.
        rows.GroupBy(r => r.Month).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new MonthCount(g.Key, g.Count(), g.Sum(r => r.PeopleAffected), g.Sum(r => r.Injured), g.Sum(r => r.Deaths))).ToList(),
        // Most frequent first.
        rows.GroupBy(r => r.Category).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CategoryCount(g.Key, g.Count())).ToList(),
        rows.SelectMany(r => r.Agencies).GroupBy(a => a).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new AgencyCount(g.Key, g.Count())).ToList(),
        rows.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new StatusCount(g.Key, g.Count())).ToList());
}
