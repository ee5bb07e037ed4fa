using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Whistle.Registry;

/// <summary>The downloads, written from the public rows only: CSV (RFC 4180) and GeoJSON (RFC 7946).</summary>
public static class RegistryFormats
{
    /// <summary>
    /// RFC 4180: a header row of <see cref="RegistryRow.Fields"/>, CRLF line ends, fields with a comma, quote or
    /// line break quoted (quotes doubled). Agencies joined by ";". Numbers in invariant culture; no
    /// coordinates: empty. An area starting with = + - @ gets a leading apostrophe, so a spreadsheet never
    /// runs it as a formula.
    /// </summary>
    public static string Csv(IEnumerable<RegistryRow> rows)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(',', RegistryRow.Fields)).Append("\r\n");
        foreach (var r in rows)
        {
            string[] fields =
            [
                r.Id, r.Month, NoFormula(r.Area), Number(r.Lat), Number(r.Lon), r.Category, string.Join(';', r.Agencies),
                Number(r.PeopleAffected), Number(r.Injured), Number(r.Deaths), r.Status,
            ];
            sb.Append(string.Join(',', fields.Select(Quote))).Append("\r\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// An RFC 7946 FeatureCollection: each row a Feature whose geometry is a Point at the coarse position,
    /// [lon, lat] (null for a row with no position), and whose properties are the row's fields but lat and lon.
    /// </summary>
    public static string GeoJson(IEnumerable<RegistryRow> rows)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "FeatureCollection");
            w.WriteStartArray("features");
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteString("type", "Feature");
                if (r.Lat is { } lat && r.Lon is { } lon)
                {
                    w.WriteStartObject("geometry");
                    w.WriteString("type", "Point");
                    w.WriteStartArray("coordinates");
                    w.WriteNumberValue(lon);
                    w.WriteNumberValue(lat);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                else w.WriteNull("geometry");
                w.WriteStartObject("properties");
                w.WriteString("id", r.Id);
                w.WriteString("month", r.Month);
                w.WriteString("area", r.Area);
                w.WriteString("category", r.Category);
                w.WriteStartArray("agencies");
                foreach (var a in r.Agencies) w.WriteStringValue(a);
                w.WriteEndArray();
                w.WriteNumber("peopleAffected", r.PeopleAffected);
                w.WriteNumber("injured", r.Injured);
                w.WriteNumber("deaths", r.Deaths);
                w.WriteString("status", r.Status);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Number(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
    private static string Number(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string NoFormula(string s) => s.Length > 0 && s[0] is '=' or '+' or '-' or '@' ? "'" + s : s;

    private static string Quote(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
