using System.Globalization;
using System.Text;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;
using Whistle.Platform;

namespace Whistle.Geo;

/// <summary>What a gazetteer look-up offers the dispatcher: a point, what it is, and the neighbourhood it falls in.</summary>
/// <param name="Kind">"intersection", "street", "place" (a landmark) or "zone".</param>
/// <param name="ZoneId">The zone itself for a "zone" candidate; otherwise the zone the point falls in, if any.</param>
public sealed record PlaceCandidate(string Kind, string Label, double Lat, double Lon, int? ZoneId, string? Zone);

/// <summary>A named street (one or more lines) or a landmark (a point), as shipped with the network or imported by an admin.</summary>
public sealed record GazetteerEntry(string Name, Geometry Geometry);

/// <summary>
/// A local, offline look-up of the network's places: zone names, street names (their crossings for
/// "Cedar Ave &amp; Riverside", "Cedar Ave iyo Riverside", "Cedar y Riverside"…) and landmarks. No
/// internet geocoder: nothing a dispatcher types leaves the server. It only offers candidates; a
/// dispatcher picks one (nothing is placed from a reporter's words by itself).
/// </summary>
public sealed class Gazetteer
{
    /// <summary>Words that join two streets into a crossing, in en, es, so and hmn (and the symbols).</summary>
    public static readonly HashSet<string> Connectors =
        ["and", "&", "/", "at", "@", "y", "e", "con", "esquina", "iyo", "thiab", "nrog", "ntawm", "x", "+"];

    /// <summary>Words before a place that say nothing about it ("corner of", "esquina de").</summary>
    private static readonly HashSet<string> Fillers = ["corner", "of", "the", "esquina", "de", "la", "calles", "near", "cerca"];

    // Street types and directions, normalised to one spelling each; they may be left out when typing.
    private static readonly Dictionary<string, string> Types = new()
    {
        ["avenue"] = "ave", ["av"] = "ave", ["ave"] = "ave", ["avenida"] = "ave",
        ["street"] = "st", ["st"] = "st", ["str"] = "st", ["calle"] = "st",
        ["boulevard"] = "blvd", ["blvd"] = "blvd", ["parkway"] = "pkwy", ["pkwy"] = "pkwy", ["pky"] = "pkwy",
        ["drive"] = "dr", ["dr"] = "dr", ["road"] = "rd", ["rd"] = "rd", ["lane"] = "ln", ["ln"] = "ln",
        ["place"] = "pl", ["pl"] = "pl", ["court"] = "ct", ["ct"] = "ct", ["terrace"] = "ter", ["ter"] = "ter",
        ["highway"] = "hwy", ["hwy"] = "hwy", ["circle"] = "cir", ["cir"] = "cir", ["way"] = "way",
    };
    private static readonly Dictionary<string, string> Directions = new()
    {
        ["north"] = "n", ["n"] = "n", ["south"] = "s", ["s"] = "s", ["east"] = "e", ["e"] = "e", ["west"] = "w", ["w"] = "w",
        ["northeast"] = "ne", ["ne"] = "ne", ["northwest"] = "nw", ["nw"] = "nw",
        ["southeast"] = "se", ["se"] = "se", ["southwest"] = "sw", ["sw"] = "sw",
    };

    /// <summary>Crossings further apart than this (metres) along the same two streets are separate candidates.</summary>
    private const double SameCrossing = 150;
    /// <summary>Streets drawn this close (metres) without touching are taken to cross (hand-drawn or simplified data).</summary>
    private const double NearMiss = 40;
    public const int MaxCandidates = 12;

    private sealed record Street(string Name, StreetKey Key, Geometry Wgs84, Geometry Projected);
    private sealed record Landmark(string Name, string Norm, GeoPoint At);

    private readonly List<Street> _streets = [];
    private readonly List<Landmark> _landmarks = [];
    private readonly ZoneCatalog _zones;

    public Gazetteer(IEnumerable<GazetteerEntry> entries, ZoneCatalog zones)
    {
        _zones = zones;
        foreach (var e in entries)
        {
            if (e.Geometry is Point p) _landmarks.Add(new(e.Name, Normalise(e.Name), new GeoPoint(p.Y, p.X)));
            else if (e.Geometry is LineString or MultiLineString && StreetKey.Of(e.Name) is { } key)
                _streets.Add(new(e.Name, key, e.Geometry, zones.Plane.Project(e.Geometry)));
        }
    }

    public int StreetCount => _streets.Count;
    public int LandmarkCount => _landmarks.Count;

    /// <summary>Candidates for what the dispatcher typed, best first; empty when nothing matches.</summary>
    public List<PlaceCandidate> Lookup(string? query)
    {
        var tokens = Tokens(query);
        while (tokens.Count > 0 && Fillers.Contains(tokens[0])) tokens.RemoveAt(0);
        if (tokens.Count == 0) return [];
        var found = new List<PlaceCandidate>();

        // A crossing: split at each connector word; both sides must name streets.
        for (int i = 1; i < tokens.Count - 1; i++)
        {
            if (!Connectors.Contains(tokens[i])) continue;
            var a = Match(tokens[..i]);
            var b = Match(tokens[(i + 1)..]);
            foreach (var sa in a)
                foreach (var sb in b)
                    if (!ReferenceEquals(sa, sb)) found.AddRange(Crossings(sa, sb));
        }
        if (found.Count == 0)
        {
            string norm = string.Join(' ', tokens);
            // Whole words: "cedar" finds "Cedar - Isles - Dean", "and" does not find "Holland".
            static bool Words(string name, string words) => (" " + name + " ").Contains(" " + words + " ", StringComparison.Ordinal);
            var zones = _zones.All.Select(z => (Zone: z, Norm: Normalise(z.Name))).ToList();
            foreach (var (z, _) in zones.Where(z => z.Norm == norm).Concat(zones.Where(z => z.Norm != norm && Words(z.Norm, norm))))
                found.Add(new PlaceCandidate("zone", z.Name, Math.Round(z.Label.Lat, 5), Math.Round(z.Label.Lon, 5), z.Id, z.Name));
            foreach (var l in _landmarks.Where(l => Words(l.Norm, norm)))
                found.Add(Candidate("place", l.Name, l.At));
            foreach (var s in Match(tokens))
                found.Add(Candidate("street", s.Name, Middle(s)));
        }
        return Distinct(found).Take(MaxCandidates).ToList();
    }

    private PlaceCandidate Candidate(string kind, string label, GeoPoint p)
    {
        var zone = _zones.ZoneAt(p);
        return new PlaceCandidate(kind, label, Math.Round(p.Lat, 5), Math.Round(p.Lon, 5), zone?.Id, zone?.Name);
    }

    private static IEnumerable<PlaceCandidate> Distinct(List<PlaceCandidate> all)
    {
        var kept = new List<PlaceCandidate>();
        foreach (var c in all)
            if (!kept.Any(k => k.Kind == c.Kind && (k.Label == c.Label || c.Kind == "intersection")
                    && GeoPoint.Distance(k.Lat, k.Lon, c.Lat, c.Lon) < SameCrossing))
                kept.Add(c);
        return kept;
    }

    private IEnumerable<PlaceCandidate> Crossings(Street a, Street b)
    {
        var label = $"{a.Name} & {b.Name}";
        var points = new List<Coordinate>();
        var cross = a.Projected.Intersection(b.Projected);
        points.AddRange(cross.Coordinates);
        if (points.Count == 0)
        {
            var op = new DistanceOp(a.Projected, b.Projected);
            if (op.Distance() <= NearMiss)
            {
                var near = op.NearestPoints();
                points.Add(new Coordinate((near[0].X + near[1].X) / 2, (near[0].Y + near[1].Y) / 2));
            }
        }
        foreach (var c in points) yield return Candidate("intersection", label, Unproject(c));
    }

    private GeoPoint Unproject(Coordinate c)
    {
        // The plane is linear: two reference points give its scale on each axis.
        var o = _zones.Plane.Project(new GeoPoint(0, 0));
        var one = _zones.Plane.Project(new GeoPoint(1, 1));
        return new GeoPoint((c.Y - o.Y) / (one.Y - o.Y), (c.X - o.X) / (one.X - o.X));
    }

    /// <summary>A point on the street halfway along its (first) line: somewhere on it, never off it.</summary>
    private static GeoPoint Middle(Street s)
    {
        var line = s.Wgs84 is MultiLineString m ? (LineString)m.GetGeometryN(0) : (LineString)s.Wgs84;
        var at = new NetTopologySuite.LinearReferencing.LengthIndexedLine(line).ExtractPoint(line.Length / 2);
        return new GeoPoint(at.Y, at.X);
    }

    private List<Street> Match(List<string> tokens) =>
        StreetKey.Of(tokens) is { } q ? _streets.Where(s => s.Key.Accepts(q)).ToList() : [];

    /// <summary>Lower case, no diacritics, abbreviations and punctuation normalised, one space between words.</summary>
    public static string Normalise(string? s) => string.Join(' ', Tokens(s));

    public static List<string> Tokens(string? s)
    {
        var clean = Text.CleanLine(s) ?? "";
        if (clean.Length > 200) clean = clean[..200];
        var sb = new StringBuilder();
        foreach (var ch in clean.Normalize(NormalizationForm.FormD))
        {
            var cat = CharUnicodeInfo.GetUnicodeCategory(ch);
            if (cat == UnicodeCategory.NonSpacingMark) continue;
            if (ch is '&' or '/' or '@' or '+') sb.Append(' ').Append(ch).Append(' ');
            else if (char.IsLetterOrDigit(ch)) sb.Append(char.ToLowerInvariant(ch));
            else if (ch is '\'' or '’') continue;
            else sb.Append(' ');
        }
        return sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>A street's name taken apart: the words that name it, its type (ave, st…) and direction (s, ne…).</summary>
    internal sealed record StreetKey(string Core, string? Type, string? Direction)
    {
        public static StreetKey? Of(string name) => Of(Tokens(name));

        public static StreetKey? Of(List<string> tokens)
        {
            string? type = null, dir = null;
            var core = new List<string>();
            for (int i = 0; i < tokens.Count; i++)
            {
                var t = tokens[i];
                bool edge = i == 0 || i == tokens.Count - 1;
                // "E Lake St", "Cedar Ave S", "Avenida Cedar"; a lone "S" or "E" is a word, not a direction.
                if (tokens.Count > 1 && edge && dir is null && Directions.TryGetValue(t, out var d)) { dir = d; continue; }
                bool typeHere = tokens.Count > 1 && type is null && (core.Count > 0 || (i == 0 && t is "avenida" or "calle"));
                if (typeHere && Types.TryGetValue(t, out var ty)) { type = ty; continue; }
                core.Add(Ordinal(t));
            }
            return core.Count == 0 ? null : new StreetKey(string.Join(' ', core), type, dir);
        }

        /// <summary>"38" and "38th" are the same street.</summary>
        private static string Ordinal(string t) =>
            t.Length > 2 && char.IsDigit(t[0]) && t[^2..] is "st" or "nd" or "rd" or "th" && t[..^2].All(char.IsDigit) ? t[..^2] : t;

        /// <summary>A typed name matches when its words are the street's and any type or direction it gives agrees.</summary>
        public bool Accepts(StreetKey typed) =>
            typed.Core == Core && (typed.Type is null || Type is null || typed.Type == Type)
            && (typed.Direction is null || Direction is null || typed.Direction == Direction);
    }

    /// <summary>
    /// Reads a GeoJSON FeatureCollection of named LineStrings, MultiLineStrings and Points. Hostile input is refused
    /// with the reason (never thrown further): wrong shapes, coordinates outside WGS 84, too many features or vertices.
    /// Names are cleaned and capped; features without a usable name are skipped and counted.
    /// </summary>
    public static (List<GazetteerEntry> Entries, int Skipped, string? Error) Parse(string json, int maxFeatures = 20_000, int maxVertices = 400_000)
    {
        var entries = new List<GazetteerEntry>();
        int skipped = 0, vertices = 0;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || type.GetString() != "FeatureCollection" || !root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
                return ([], 0, "Expected a GeoJSON FeatureCollection with a features array.");
            if (features.GetArrayLength() > maxFeatures) return ([], 0, $"At most {maxFeatures} features.");
            var factory = new GeometryFactory(new PrecisionModel(), 4326);
            foreach (var f in features.EnumerateArray())
            {
                if (f.ValueKind != JsonValueKind.Object || !f.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object
                    || !f.TryGetProperty("properties", out var props) || props.ValueKind != JsonValueKind.Object)
                { skipped++; continue; }
                string? name = props.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? CleanName(n.GetString()) : null;
                if (string.IsNullOrEmpty(name) || name.Length > 120 || Tokens(name).Count == 0) { skipped++; continue; }
                if (!g.TryGetProperty("type", out var gt) || gt.ValueKind != JsonValueKind.String || !g.TryGetProperty("coordinates", out var coords))
                { skipped++; continue; }
                Geometry? geometry;
                switch (gt.GetString())
                {
                    case "Point":
                        geometry = Position(coords) is { } c ? factory.CreatePoint(c) : null;
                        vertices++;
                        break;
                    case "LineString":
                        var line = Line(coords, factory);
                        geometry = line;
                        vertices += line?.NumPoints ?? 0;
                        break;
                    case "MultiLineString":
                        if (coords.ValueKind != JsonValueKind.Array) { geometry = null; break; }
                        var lines = new List<LineString>();
                        foreach (var part in coords.EnumerateArray())
                        {
                            if (Line(part, factory) is not { } l) { lines.Clear(); break; }
                            lines.Add(l);
                            vertices += l.NumPoints;
                        }
                        geometry = lines.Count > 0 ? factory.CreateMultiLineString(lines.ToArray()) : null;
                        break;
                    default:
                        geometry = null;
                        break;
                }
                if (vertices > maxVertices) return ([], 0, $"At most {maxVertices} coordinates in all.");
                if (geometry is null) { skipped++; continue; }
                entries.Add(new GazetteerEntry(name, geometry));
            }
        }
        catch (JsonException) { return ([], 0, "This is not valid JSON."); }
        return entries.Count == 0 ? ([], skipped, "No named streets or places in the file.") : (entries, skipped, null);
    }

    /// <summary>The house sanitizer, then no format characters either: a bidi override would make a label read as another.</summary>
    private static string? CleanName(string? s) =>
        Text.CleanLine(s) is { } t ? new string(t.Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format).ToArray()).Trim() : null;

    private static LineString? Line(JsonElement coords, GeometryFactory factory)
    {
        if (coords.ValueKind != JsonValueKind.Array || coords.GetArrayLength() is < 2 or > 50_000) return null;
        var list = new List<Coordinate>();
        foreach (var c in coords.EnumerateArray())
            if (Position(c) is { } p) list.Add(p); else return null;
        return factory.CreateLineString(list.ToArray());
    }

    private static Coordinate? Position(JsonElement c)
    {
        if (c.ValueKind != JsonValueKind.Array || c.GetArrayLength() < 2) return null;
        var x = c[0]; var y = c[1];
        if (x.ValueKind != JsonValueKind.Number || y.ValueKind != JsonValueKind.Number) return null;
        if (!x.TryGetDouble(out var lon) || !y.TryGetDouble(out var lat) || !GeoPoint.IsValid(lat, lon)) return null;
        return new Coordinate(Math.Round(lon, 6), Math.Round(lat, 6));
    }

    private static readonly JsonSerializerOptions GeoJsonOptions = new() { Converters = { new NetTopologySuite.IO.Converters.GeoJsonConverterFactory() } };

    /// <summary>Back to a compact FeatureCollection (what is stored after an import): cleaned names, rounded coordinates.</summary>
    public static string ToGeoJson(IEnumerable<GazetteerEntry> entries)
    {
        var features = entries.Select(e =>
            $$"""{"type":"Feature","properties":{"name":{{JsonSerializer.Serialize(e.Name)}}},"geometry":{{JsonSerializer.Serialize(e.Geometry, GeoJsonOptions)}}}""");
        return """{"type":"FeatureCollection","features":[""" + string.Join(',', features) + "]}";
    }
}
