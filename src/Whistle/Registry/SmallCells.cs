using System.Globalization;

namespace Whistle.Registry;

/// <summary>Whistle:Registry — the public registry's policy for small numbers.</summary>
public sealed class RegistryOptions
{
    /// <summary>
    /// k (Whistle:Registry:MinCellSize): every published cell — a place, a period and a kind of incident — holds at
    /// least this many incidents, and every published count is either 0 or at least this (smaller ones read
    /// "fewer than k"). 1 publishes every incident at its neighbourhood and month (the registry before issue 14).
    /// Default 3: see docs/decisions/0038-registry-small-numbers.md.
    /// </summary>
    public int MinCellSize { get; set; } = SmallCells.DefaultMinCellSize;
}

/// <summary>
/// What the registry publishes at one moment: the rows (each generalised until its cell holds at least
/// <see cref="MinCellSize"/> incidents) and how many published incidents could not be shown in any cell.
/// Every registry output — list, CSV, GeoJSON, statistics, charts, page — is built from one release, so no two
/// outputs can be subtracted to recover a cell smaller than k.
/// </summary>
public sealed record RegistryRelease(IReadOnlyList<RegistryRow> Rows, int NotShown, int MinCellSize)
{
    public static readonly RegistryRelease Empty = new([], 0, SmallCells.DefaultMinCellSize);
}

/// <summary>
/// The small-numbers rule (a plain type, tested without a host). A row's cell is what news coverage of an
/// incident carries: its place (area and published point), its period and its kind (category). A cell with fewer
/// than k rows is generalised one step at a time, the time first and then the place:
/// (neighbourhood, month) → (neighbourhood, quarter) → (neighbourhood, year) → (all areas, quarter) →
/// (all areas, year). Rows in a cell that reaches k at a step are published there; the rest go up a step. Rows
/// still in a cell smaller than k at the last step are not published as rows and only counted
/// (<see cref="RegistryRelease.NotShown"/>). Global, deterministic, and the only way rows are made public.
/// </summary>
public static class SmallCells
{
    public const int DefaultMinCellSize = 3;
    /// <summary>k is at least 1 (publish every cell) and at most this (a typo must not blank the registry in an unexpected way).</summary>
    public const int MaxMinCellSize = 100;

    /// <summary>The area of a row generalised past its neighbourhood: the whole network.</summary>
    public const string AllAreas = "All areas";

    public enum Period { Month, Quarter, Year }

    /// <summary>The steps, finest first.</summary>
    public static readonly IReadOnlyList<(bool AllAreas, Period Period)> Ladder =
    [
        (false, Period.Month), (false, Period.Quarter), (false, Period.Year), (true, Period.Quarter), (true, Period.Year),
    ];

    public static int Clamp(int k) => Math.Clamp(k, 1, MaxMinCellSize);

    /// <summary>The rows as published under k: each cell ≥ k, in the registry's order; the rest counted.</summary>
    public static RegistryRelease Apply(IEnumerable<RegistryRow> rows, int minCellSize)
    {
        int k = Clamp(minCellSize);
        var pending = rows.ToList();
        var shown = new List<RegistryRow>(pending.Count);
        foreach (var step in Ladder)
        {
            var next = new List<RegistryRow>();
            foreach (var cell in pending.GroupBy(r => Key(At(r, step))))
            {
                if (cell.Count() >= k) shown.AddRange(cell.Select(r => At(r, step)));
                else next.AddRange(cell);
            }
            pending = next;
            if (pending.Count == 0) break;
        }
        return new RegistryRelease(RegistryRow.Order(shown), pending.Count, k);
    }

    /// <summary>A count as published: 0, or at least k; null for 1 … k−1 ("fewer than k").</summary>
    public static int? Published(int count, int minCellSize) => count > 0 && count < Clamp(minCellSize) ? null : count;

    /// <summary>The row (as made from an incident, month precision) generalised to a step.</summary>
    public static RegistryRow At(RegistryRow row, (bool AllAreas, Period Period) step)
    {
        var generalised = step.AllAreas ? row with { Area = AllAreas, Lat = null, Lon = null } : row;
        return generalised with { Month = PeriodOf(row.Month, step.Period) };
    }

    /// <summary>"2026-02" as a month, quarter ("2026-Q1") or year ("2026").</summary>
    public static string PeriodOf(string month, Period period)
    {
        if (period == Period.Month) return month;
        var year = month[..4];
        if (period == Period.Year) return year;
        int m = int.Parse(month.AsSpan(5, 2), CultureInfo.InvariantCulture);
        return year + "-Q" + ((m - 1) / 3 + 1).ToString(CultureInfo.InvariantCulture);
    }

    private static (string, string, double?, double?, string) Key(RegistryRow r) => (r.Month, r.Area, r.Lat, r.Lon, r.Category);
}
