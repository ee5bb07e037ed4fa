using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Whistle.Geo;
using Whistle.Incidents;
using Whistle.Reports;
using Whistle.Verification;

namespace Whistle.Registry;

/// <summary>
/// One incident as the public registry shows it — the ONLY shape in which incident data leaves Whistle
/// anonymously (the list, the CSV, the GeoJSON, the statistics, the charts and the page are all built
/// from these rows). It has no free text written by staff, no names, no witness data and no exact place
/// or time: see <c>docs/registry-schema.md</c> for each field and how it is coarsened.
/// </summary>
public sealed record RegistryRow(
    string Id,
    string Month,
    string Area,
    double? Lat,
    double? Lon,
    string Category,
    IReadOnlyList<string> Agencies,
    int PeopleAffected,
    int Injured,
    int Deaths,
    string Status)
{
    /// <summary>The area of an incident with no position, or one outside every zone.</summary>
    public const string UnknownArea = "Unknown area";

    /// <summary>Decimal places kept of a position outside every zone: 0.01° ≈ 1.1 km north–south, ≈ 0.8 km east–west at 45°.</summary>
    public const int GridDecimals = 2;

    /// <summary>Decimal places of a zone's label point (a fixed point of the zone: it says no more than the zone's name).</summary>
    public const int LabelDecimals = 4;

    /// <summary>The documented fields, in order: the JSON properties, the CSV header.</summary>
    public static readonly IReadOnlyList<string> Fields =
        ["id", "month", "area", "lat", "lon", "category", "agencies", "peopleAffected", "injured", "deaths", "status"];

    /// <summary>
    /// The public row of an incident. <paramref name="timeZone"/> is the network's: the month is the local
    /// month the incident happened in. Nothing else of the incident is read.
    /// </summary>
    public static RegistryRow From(Incident incident, ZoneCatalog zones, TimeZoneInfo? timeZone = null)
    {
        var local = TimeZoneInfo.ConvertTime(incident.OccurredAt, timeZone ?? TimeZoneInfo.Utc);
        var (area, lat, lon) = Coarsen(incident.Lat, incident.Lon, zones);
        return new RegistryRow(
            PublicId(incident.Id),
            local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            area, lat, lon,
            Names.Of(incident.Category),
            AgenciesOf(incident.Agencies),
            Math.Max(0, incident.PeopleAffected),
            Math.Max(0, incident.Injured),
            Math.Max(0, incident.Deaths),
            Names.Of(incident.Status));
    }

    /// <summary>
    /// Inside a zone: the zone's name and its label point. Outside every zone: "Unknown area" and the position
    /// rounded to <see cref="GridDecimals"/> places. No position: "Unknown area" and no coordinates.
    /// </summary>
    public static (string Area, double? Lat, double? Lon) Coarsen(double? lat, double? lon, ZoneCatalog zones)
    {
        if (lat is not { } la || lon is not { } lo || !GeoPoint.IsValid(la, lo)) return (UnknownArea, null, null);
        if (zones.ZoneAt(new GeoPoint(la, lo)) is { } zone)
            return (zone.Name, Math.Round(zone.Label.Lat, LabelDecimals), Math.Round(zone.Label.Lon, LabelDecimals));
        return (UnknownArea, Math.Round(la, GridDecimals, MidpointRounding.AwayFromZero), Math.Round(lo, GridDecimals, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// A stable, opaque reference to cite a row by: not the incident's id, which (a version 7 UUID) carries
    /// its creation time to the millisecond. 12 hex digits of a SHA-256 of the id; the id's 74 random bits
    /// make it impossible to work back.
    /// </summary>
    public static string PublicId(Guid incidentId) =>
        "r" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("whistle-registry/" + incidentId.ToString("N"))))[..12];

    /// <summary>
    /// The agencies as their wire names (<see cref="Agency"/>: ice, cbp, police, unknown, other), each once, in
    /// that order. Anything else written in the field becomes "other": free text is never echoed.
    /// </summary>
    public static IReadOnlyList<string> AgenciesOf(string? agencies)
    {
        var found = new SortedSet<Agency>();
        foreach (var token in (agencies ?? "").Split([',', ';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            found.Add(Enum.GetValues<Agency>().FirstOrDefault(a => string.Equals(Names.Of(a), token, StringComparison.OrdinalIgnoreCase), Agency.Other));
        return found.Select(a => Names.Of(a)).ToArray();
    }

    /// <summary>The registry's order: newest month first, then area, category and id — never the exact time.</summary>
    public static List<RegistryRow> Order(IEnumerable<RegistryRow> rows) =>
        rows.OrderByDescending(r => r.Month, StringComparer.Ordinal).ThenBy(r => r.Area, StringComparer.Ordinal)
            .ThenBy(r => r.Category, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
}
