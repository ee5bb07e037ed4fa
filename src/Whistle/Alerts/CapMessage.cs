using System.Globalization;
using System.Xml.Linq;
using NetTopologySuite.Geometries;
using NetTopologySuite.Simplify;
using Whistle.Geo;
using Whistle.Verification;

namespace Whistle.Alerts;

/// <summary>
/// What every CAP message of a network shares: who sends it, under what name, where its pages are,
/// the texts (event names and know-your-rights advice per language) and the zones' shapes.
/// </summary>
/// <param name="Zone">The network's time zone: CAP's times carry its offset (issue 12 §4); null writes UTC.</param>
public sealed record CapContext(string Sender, string SenderName, string BaseUrl, TemplateSet Templates, ZoneCatalog Zones, TimeZoneInfo? Zone = null)
{
    /// <summary><c>whistle@host</c> of the base URL: CAP's sender must not hold spaces, commas or &lt; &amp;.</summary>
    public static string DefaultSender(string baseUrl) =>
        "whistle@" + (Uri.TryCreate(baseUrl, UriKind.Absolute, out var u) ? u.IdnHost : "localhost");
}

/// <summary>
/// An alert, update or cancel as an OASIS CAP 1.2 message (validates against Resources/CAP-v1.2.xsd).
/// Only what the public page shows: the coarse place, the area (a circle's centre snapped to the
/// public ~200 m grid, its radius grown to still cover it; zones as their public polygons), the
/// message texts. Nothing about reporters, verifiers, dispatchers or officers.
/// Field choices: docs/decisions/0008-cap-and-atom.md.
/// </summary>
public static class CapMessage
{
    public const string Namespace = "urn:oasis:names:tc:emergency:cap:1.2";
    public const string ContentType = "application/cap+xml";
    private static readonly XNamespace Cap = Namespace;

    /// <summary>Our language codes → the RFC 3066 tags in CAP's info/language.</summary>
    public static readonly IReadOnlyDictionary<string, string> LanguageTags =
        new Dictionary<string, string> { ["en"] = "en-US", ["es"] = "es-US", ["so"] = "so", ["hmn"] = "hmn" };

    /// <summary>Most points a polygon gets (IPAWS/WEA accepts 100); larger rings are simplified.</summary>
    public const int MaxPolygonPoints = 100;
    /// <summary>The public grid a circle's centre is snapped to (as on the public map).</summary>
    public const double GridMeters = 200;
    /// <summary>How long a cancel stays current (in the feed, and its info/expires): as long as the public page shows a retraction.</summary>
    public static readonly TimeSpan CancelShownFor = PublicAlerts.RetractedShownFor;

    /// <summary>Stable, globally unique, and free of the characters CAP forbids in an identifier.</summary>
    public static string Identifier(Guid alertId) => $"urn:uuid:{alertId:D}";

    /// <summary>
    /// CAP's dateTime: whole seconds and a numeric offset — the network's, so "2026-12-01T08:55:00-06:00" reads as the
    /// alert's own clock — with a zero offset written "-00:00" (CAP forbids "Z"; the XSD pattern needs [+-]hh:mm).
    /// </summary>
    public static string Time(DateTimeOffset t, TimeZoneInfo? zone = null)
    {
        var local = zone is null ? t.ToUniversalTime() : TimeZoneInfo.ConvertTime(t, zone);
        var offset = local.Offset;
        var sign = offset < TimeSpan.Zero || offset == TimeSpan.Zero ? "-" : "+";
        return local.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture) + sign
            + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>The extended message identifier CAP's references list: sender,identifier,sent.</summary>
    public static string Reference(Alert earlier, string sender, TimeZoneInfo? zone = null) => $"{sender},{Identifier(earlier.Id)},{Time(earlier.SentAt, zone)}";

    public static string CapUrl(string baseUrl, Guid alertId) => $"{baseUrl.TrimEnd('/')}/api/v1/alerts/{alertId:D}.cap";

    /// <summary>When this message stops being current: the alert's window, or a day after a cancel.</summary>
    public static DateTimeOffset ExpiresAt(Alert message) =>
        message.Kind == AlertKind.Cancel ? message.SentAt + CancelShownFor : message.ExpiresAt;

    /// <summary>The root of a chain: the original alert an update or cancel refers to.</summary>
    public static Guid RootId(Alert message) => message.ReferencesId ?? message.Id;

    public static XDocument Build(Alert message, IEnumerable<Alert> chain, CapContext context) =>
        new(new XDeclaration("1.0", "utf-8", null), Element(message, chain, context));

    /// <summary>
    /// The &lt;alert&gt; element. <paramref name="chain"/> is every message of the same chain (the original,
    /// its updates and cancel, in any order, this one included or not); those sent before this one are referenced.
    /// </summary>
    public static XElement Element(Alert message, IEnumerable<Alert> chain, CapContext context)
    {
        var earlier = chain.Where(a => a.Id != message.Id && a.Seq < message.Seq && RootId(a) == RootId(message))
            .OrderBy(a => a.Seq).ToList();
        var notes = new List<string>();
        if (message.Drill) notes.Add("Exercise: a drill of " + context.SenderName + ", not a real alert.");
        if (message.Kind == AlertKind.Cancel)
            notes.Add(message.CancelReason == CancelReason.FalseAlarm
                ? "False alarm: the alert referenced was wrong and is retracted."
                : "All clear: the activity referenced has ended.");

        var alert = new XElement(Cap + "alert",
            new XElement(Cap + "identifier", Identifier(message.Id)),
            new XElement(Cap + "sender", context.Sender),
            new XElement(Cap + "sent", Time(message.SentAt, context.Zone)),
            new XElement(Cap + "status", message.Drill ? "Exercise" : "Actual"),
            new XElement(Cap + "msgType", message.Kind switch { AlertKind.Update => "Update", AlertKind.Cancel => "Cancel", _ => "Alert" }),
            new XElement(Cap + "scope", "Public"),
            notes.Count > 0 ? new XElement(Cap + "note", string.Join(" ", notes)) : null,
            earlier.Count > 0 ? new XElement(Cap + "references", string.Join(" ", earlier.Select(e => Reference(e, context.Sender, context.Zone)))) : null,
            new XElement(Cap + "incidents", Identifier(RootId(message))));
        foreach (var lang in Languages.All)
            alert.Add(Info(message, lang, context));
        // Stored text may predate intake cleaning (or come from a partner): only valid XML characters reach a writer.
        return Platform.Text.XmlSafe(alert);
    }

    private static XElement Info(Alert m, string lang, CapContext context)
    {
        bool cancel = m.Kind == AlertKind.Cancel, falseAlarm = cancel && m.CancelReason == CancelReason.FalseAlarm;
        var text = m.Messages.GetValueOrDefault(lang) ?? m.Messages.GetValueOrDefault("en") ?? "";
        // No place words (outside every zone, none typed): the area is "the alert area" in the message's language.
        var place = m.Place.Length > 0 ? m.Place : context.Templates.GetOrDefault(lang, "place.area");
        return new XElement(Cap + "info",
            new XElement(Cap + "language", LanguageTags[lang]),
            new XElement(Cap + "category", "Safety"),
            new XElement(Cap + "event", context.Templates.Get(lang, "activity." + Names.Of(m.Activity))),
            new XElement(Cap + "responseType", !cancel ? "Monitor" : falseAlarm ? "None" : "AllClear"),
            new XElement(Cap + "urgency", cancel ? "Past" : "Immediate"),
            new XElement(Cap + "severity", cancel ? "Minor" : "Moderate"),
            new XElement(Cap + "certainty", falseAlarm ? "Unlikely" : "Observed"),
            new XElement(Cap + "eventCode",
                new XElement(Cap + "valueName", "whistle:activity"),
                new XElement(Cap + "value", Names.Of(m.Activity))),
            new XElement(Cap + "effective", Time(m.SentAt, context.Zone)),
            new XElement(Cap + "expires", Time(ExpiresAt(m), context.Zone)),
            new XElement(Cap + "senderName", context.SenderName),
            new XElement(Cap + "headline", Headline(text, place)),
            new XElement(Cap + "description", text),
            cancel ? null : new XElement(Cap + "instruction", context.Templates.Get(lang, "advice")),
            new XElement(Cap + "web", $"{context.BaseUrl.TrimEnd('/')}/?lang={lang}#alert-{RootId(m):D}"),
            Areas(m, place, context.Zones));
    }

    /// <summary>
    /// A short headline: the message's first sentence that ends after the place (the templates all start
    /// "{marker}: {activity} near {place}, {time}."), else the text cut at a word under 160 characters.
    /// </summary>
    public static string Headline(string text, string place)
    {
        int from = place.Length > 0 && text.IndexOf(place, StringComparison.Ordinal) is >= 0 and var at ? at + place.Length : 0;
        int stop = text.IndexOf(". ", from, StringComparison.Ordinal);
        var first = stop >= 0 ? text[..(stop + 1)] : text;
        if (first.Length <= 160) return first;
        int cut = first.LastIndexOf(' ', 158);
        return first[..(cut > 0 ? cut : 158)] + "…";
    }

    private static IEnumerable<XElement> Areas(Alert m, string place, ZoneCatalog zones)
    {
        if (m.CircleLat is { } lat && m.CircleLon is { } lon && m.CircleRadiusMeters is { } r)
            yield return new XElement(Cap + "area", new XElement(Cap + "areaDesc", place), new XElement(Cap + "circle", Circle(new GeoCircle(new GeoPoint(lat, lon), r))));
        foreach (var id in Alert.ZoneIds(m.Zones))
        {
            if (zones.Find(id) is not { } zone) continue;
            yield return new XElement(Cap + "area", new XElement(Cap + "areaDesc", zone.Name),
                Polygons(zone.Wgs84).Select(p => new XElement(Cap + "polygon", p)));
        }
    }

    /// <summary>
    /// "lat,lon radius" with the radius in kilometres. The centre is snapped to the public ~200 m grid
    /// (never a doorstep) and the radius grown by the most the snap can move it, so the CAP circle still
    /// covers everyone the alert was sent to.
    /// </summary>
    public static string Circle(GeoCircle c)
    {
        var centre = c.Center.Coarsen(GridMeters);
        double km = Math.Ceiling((c.RadiusMeters + centre.DistanceTo(c.Center)) / 10) / 100;
        return $"{LatLon(centre.Lat, centre.Lon)} {km.ToString("0.0##", CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// Each polygon's outer ring as CAP wants it: "lat,lon" pairs (GeoJSON's order reversed), closed, at
    /// least four points, at most <see cref="MaxPolygonPoints"/> (simplified, topology kept). Holes are
    /// dropped: the area only grows. A multipolygon gives one string per part.
    /// </summary>
    public static IEnumerable<string> Polygons(Geometry geometry)
    {
        for (int i = 0; i < geometry.NumGeometries; i++)
        {
            if (geometry.GetGeometryN(i) is not Polygon polygon || polygon.IsEmpty) continue;
            var ring = Ring(polygon);
            if (ring.Count >= 4) yield return string.Join(' ', ring.Select(c => LatLon(c.Y, c.X)));
        }
    }

    private static List<Coordinate> Ring(Polygon polygon)
    {
        var shell = new Polygon((LinearRing)polygon.ExteriorRing.Copy());
        var points = Rounded(shell.ExteriorRing.Coordinates);
        // Simplify with a growing tolerance (1e-5° ≈ 1 m) until the ring is small enough.
        for (double tolerance = 0.00001; points.Count > MaxPolygonPoints && tolerance < 1; tolerance *= 2)
        {
            var simpler = TopologyPreservingSimplifier.Simplify(shell, tolerance);
            if (simpler is Polygon p && !p.IsEmpty)
            {
                var candidate = Rounded(p.ExteriorRing.Coordinates);
                if (candidate.Count >= 4) points = candidate;
            }
        }
        return points;
    }

    /// <summary>Rounded to 5 decimals (~1 m), repeated points dropped, closed.</summary>
    private static List<Coordinate> Rounded(Coordinate[] coords)
    {
        var list = new List<Coordinate>();
        foreach (var c in coords)
        {
            var p = new Coordinate(Math.Round(c.X, 5), Math.Round(c.Y, 5));
            if (list.Count == 0 || !list[^1].Equals2D(p)) list.Add(p);
        }
        if (list.Count > 0 && !list[0].Equals2D(list[^1])) list.Add(list[0].Copy());
        return list;
    }

    private static string LatLon(double lat, double lon) =>
        Math.Round(lat, 5).ToString("0.0####", CultureInfo.InvariantCulture) + "," + Math.Round(lon, 5).ToString("0.0####", CultureInfo.InvariantCulture);
}
