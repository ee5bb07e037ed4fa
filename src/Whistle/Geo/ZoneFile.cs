using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;

namespace Whistle.Geo;

/// <summary>One zone read from a file: its name, its (repaired if need be) shape and that shape as GeoJSON.</summary>
public sealed record ImportedZone(int Index, string Name, int? Number, Geometry Shape, string GeoJson, bool Repaired);

/// <summary>
/// Reads an RFC 7946 FeatureCollection of neighbourhoods: every feature a Polygon or MultiPolygon in
/// longitude/latitude, named by a property. All or nothing: any feature at fault and the file is refused,
/// each fault naming its feature's index.
/// </summary>
public static class ZoneFile
{
    /// <summary>Tried in turn when the importer names no property (the City of Minneapolis' files use BDNAME).</summary>
    public static readonly string[] DefaultNameProperties = ["name", "NAME", "BDNAME"];
    public const int MaxFeatures = 5000;
    public const int MaxNameLength = 200;
    private const int MaxErrors = 50;

    private static readonly JsonSerializerOptions Json = new() { Converters = { new NetTopologySuite.IO.Converters.GeoJsonConverterFactory() } };

    public static string ToGeoJson(Geometry g) => JsonSerializer.Serialize(g, Json);

    /// <returns>The zones, or the faults as "features[i]" → why.</returns>
    public static (List<ImportedZone> Zones, Dictionary<string, string[]> Errors) Read(JsonElement root, string? nameProperty)
    {
        var zones = new List<ImportedZone>();
        var errors = new Dictionary<string, string[]>();
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || type.GetString() != "FeatureCollection" || !root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            errors["file"] = ["Not a GeoJSON FeatureCollection: the file must be {\"type\":\"FeatureCollection\",\"features\":[…]}."];
            return (zones, errors);
        }
        int count = features.GetArrayLength();
        if (count == 0) errors["features"] = ["The file has no features."];
        if (count > MaxFeatures) errors["features"] = [$"At most {MaxFeatures} zones in one file ({count} given)."];
        if (errors.Count > 0) return (zones, errors);

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        int i = -1;
        foreach (var f in features.EnumerateArray())
        {
            i++;
            if (errors.Count >= MaxErrors) break;
            var (zone, error) = ReadFeature(i, f, nameProperty);
            if (error is not null) { errors[$"features[{i}]"] = [$"Feature {i}{NameOf(f, nameProperty)}: {error}"]; continue; }
            if (names.TryGetValue(zone!.Name, out var first))
            {
                errors[$"features[{i}]"] = [$"Feature {i}: the name \"{zone.Name}\" is already used by feature {first}; each zone needs its own name."];
                continue;
            }
            names[zone.Name] = i;
            zones.Add(zone);
        }
        return (zones, errors);
    }

    private static string NameOf(JsonElement f, string? nameProperty) =>
        f.ValueKind == JsonValueKind.Object && Name(f, nameProperty) is { } n ? $" (\"{(n.Length > 60 ? n[..60] + "…" : n)}\")" : "";

    private static string? Name(JsonElement f, string? nameProperty)
    {
        if (!f.TryGetProperty("properties", out var props) || props.ValueKind != JsonValueKind.Object) return null;
        foreach (var key in nameProperty is { Length: > 0 } ? [nameProperty] : DefaultNameProperties)
            if (props.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && Platform.PlainText.Clean(v.GetString()) is { Length: > 0 } s)
                return s;
        return null;
    }

    private static (ImportedZone? Zone, string? Error) ReadFeature(int index, JsonElement f, string? nameProperty)
    {
        if (f.ValueKind != JsonValueKind.Object || !f.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String || t.GetString() != "Feature")
            return (null, "not a GeoJSON Feature.");
        var name = Name(f, nameProperty);
        if (name is null)
            return (null, nameProperty is { Length: > 0 }
                ? $"no text property \"{nameProperty}\" to name the zone."
                : $"no text property {string.Join(", ", DefaultNameProperties)} to name the zone; say which property holds the name (nameProperty).");
        if (name.Length > MaxNameLength) return (null, $"the name is longer than {MaxNameLength} characters.");
        int? number = f.TryGetProperty("properties", out var props) && props.TryGetProperty("number", out var n)
                      && n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var num) ? num : null;

        if (!f.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object)
            return (null, "it has no geometry.");
        var kind = g.TryGetProperty("type", out var gt) && gt.ValueKind == JsonValueKind.String ? gt.GetString() : null;
        if (kind is not ("Polygon" or "MultiPolygon"))
            return (null, $"its geometry is {(kind is null ? "of no type" : "a " + kind)}; a zone must be a Polygon or a MultiPolygon.");
        Geometry shape;
        try { shape = JsonSerializer.Deserialize<Geometry>(g.GetRawText(), Json) ?? throw new JsonException("empty"); }
        catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            return (null, "its coordinates could not be read as a polygon (each ring a closed list of [longitude, latitude] positions, at least four).");
        }
        if (shape.IsEmpty) return (null, "its polygon is empty.");
        foreach (var c in shape.Coordinates)
            if (!GeoPoint.IsValid(c.Y, c.X))
                return (null, $"the position [{c.X}, {c.Y}] is outside longitude -180…180 / latitude -90…90 (GeoJSON puts longitude first).");
        bool repaired = false;
        if (!shape.IsValid)
        {
            Geometry? fixedShape;
            try { fixedShape = GeometryFixer.Fix(shape); }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NetTopologySuite.Geometries.TopologyException) { fixedShape = null; }
            if (fixedShape is not (Polygon or MultiPolygon) || fixedShape.IsEmpty || !fixedShape.IsValid || fixedShape.Area <= 0)
                return (null, "its rings are invalid (self-intersecting or degenerate) and could not be repaired.");
            shape = fixedShape;
            repaired = true;
        }
        if (shape.Area <= 0) return (null, "its polygon has no area.");
        return (new ImportedZone(index, name, number, shape, ToGeoJson(shape), repaired), null);
    }
}
