namespace Whistle.Registry;

// A count of incidents is null when it is 1 … k−1: "fewer than k" (SmallCells.Published).
public sealed record MonthCount(string Month, int? Incidents, int PeopleAffected, int Injured, int Deaths);
public sealed record CategoryCount(string Category, int? Incidents);
public sealed record AgencyCount(string Agency, int? Incidents);
public sealed record StatusCount(string Status, int? Incidents);

/// <summary>
/// Totals of the published incidents, computed from one <see cref="RegistryRelease"/>'s rows only (so they cannot
/// say more than the rows do, and no subtraction between them and the rows finds a cell smaller than k). An
/// incident with several agencies counts once for each of them. <c>byMonth</c> is by the rows' published period
/// (a month, a quarter "2026-Q1" or a year). Every count of incidents is 0, at least <see cref="MinCellSize"/>, or
/// null ("fewer than k"); <see cref="NotShown"/> is how many published incidents are in no row.
/// </summary>
public sealed record RegistryStats(
    int MinCellSize, int Incidents, int? NotShown, int PeopleAffected, int Injured, int Deaths,
    IReadOnlyList<MonthCount> ByMonth, IReadOnlyList<CategoryCount> ByCategory,
    IReadOnlyList<AgencyCount> ByAgency, IReadOnlyList<StatusCount> ByStatus)
{
    public static RegistryStats Of(RegistryRelease release)
    {
        var rows = release.Rows;
        int? C(int n) => SmallCells.Published(n, release.MinCellSize);
        return new(
            release.MinCellSize, rows.Count, C(release.NotShown), rows.Sum(r => r.PeopleAffected), rows.Sum(r => r.Injured), rows.Sum(r => r.Deaths),
            // Periods with data, oldest first.
            rows.GroupBy(r => r.Month).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new MonthCount(g.Key, C(g.Count()), g.Sum(r => r.PeopleAffected), g.Sum(r => r.Injured), g.Sum(r => r.Deaths))).ToList(),
            // Most frequent first.
            rows.GroupBy(r => r.Category).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new CategoryCount(g.Key, C(g.Count()))).ToList(),
            rows.SelectMany(r => r.Agencies).GroupBy(a => a).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new AgencyCount(g.Key, C(g.Count()))).ToList(),
            rows.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new StatusCount(g.Key, C(g.Count()))).ToList());
    }
}
