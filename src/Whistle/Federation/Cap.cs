using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Whistle.Geo;

namespace Whistle.Federation;

/// <summary>
/// Why a partner's feed, or one entry of it, was refused. The reason names what was wrong and where,
/// never the content: it goes to the log and to the dispatchers' partner status.
/// </summary>
public sealed class FeedRejected(string reason) : Exception(reason)
{
    public string Reason => Message;
}

/// <summary>A CAP circle: centre and radius in metres (CAP gives kilometres).</summary>
public sealed record CapCircle(double Lat, double Lon, double RadiusMeters);

/// <summary>A CAP area: its description, circles and polygons (each a closed ring of [lon, lat] pairs, as GeoJSON orders them).</summary>
public sealed record CapArea(string Description, List<CapCircle> Circles, List<double[][]> Polygons)
{
    public bool HasShape => Circles.Count > 0 || Polygons.Count > 0;
}

public sealed record CapReference(string Sender, string Identifier, DateTimeOffset Sent);

/// <summary>One CAP info block; <see cref="Language"/> is the primary subtag, lower case ("es-US" → "es").</summary>
public sealed record CapInfo(string Language, string Event, string? Headline, string? Description, string? Instruction,
    DateTimeOffset? Expires, List<CapArea> Areas);

public sealed record CapMessage(string Identifier, string Sender, DateTimeOffset Sent, string Status, string MsgType, string Scope,
    List<CapReference> References, List<CapInfo> Infos)
{
    /// <summary>The earliest info expiry, if any gives one.</summary>
    public DateTimeOffset? Expires => Infos.Min(i => i.Expires);

    /// <summary>The areas of the first info that has a circle or polygon, English first (info blocks in other languages repeat them).</summary>
    public List<CapArea> Areas => Infos.OrderBy(i => i.Language == "en" ? 0 : 1).Select(i => i.Areas.Where(a => a.HasShape).ToList())
        .FirstOrDefault(a => a.Count > 0) ?? [];
}

/// <summary>
/// CAP 1.2 (OASIS, 2010) read from an XML element: namespace and root checked, validated against the
/// standard's schema (Resources/CAP-v1.2.xsd), then checked for sense — coordinates in range, radii and
/// polygons that make shapes, expiry after sending, bounded text with no markup.
/// </summary>
public static partial class Cap
{
    public const string Namespace = "urn:oasis:names:tc:emergency:cap:1.2";
    private static readonly XNamespace C = Namespace;

    public const int MaxIdLength = 256, MaxHeadline = 200, MaxText = 4000, MaxAreaDesc = 200, MaxPolygonPoints = 2000;
    public const double MaxRadiusKm = 500;

    private static readonly Lazy<XmlSchemaSet> Schema = new(() =>
    {
        using var stream = typeof(Cap).Assembly.GetManifestResourceStream("Whistle.Resources.CAP-v1.2.xsd")
            ?? throw new InvalidOperationException("The CAP 1.2 schema is not embedded.");
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var set = new XmlSchemaSet { XmlResolver = null };
        set.Add(Namespace, reader);
        set.Compile();
        return set;
    });

    public static CapMessage Parse(XElement alert, DateTimeOffset now)
    {
        if (alert.Name.LocalName != "alert")
            throw new FeedRejected($"the CAP root is <{Short(alert.Name.LocalName)}>, not <alert>");
        if (alert.Name.Namespace != C)
            throw new FeedRejected($"the CAP alert is in namespace '{Short(alert.Name.NamespaceName)}', not CAP 1.2");
        Validate(alert);

        string identifier = Required(alert, "identifier"), sender = Required(alert, "sender");
        if (identifier.Length > MaxIdLength || sender.Length > MaxIdLength) throw new FeedRejected("identifier or sender too long");
        var sent = Time(alert.Element(C + "sent")!.Value, "sent");
        if (sent > now.AddHours(1)) throw new FeedRejected("sent more than an hour in the future");
        string status = alert.Element(C + "status")!.Value.Trim(), msgType = alert.Element(C + "msgType")!.Value.Trim();
        string scope = alert.Element(C + "scope")!.Value.Trim();
        var references = References(alert.Element(C + "references")?.Value);
        if (msgType is "Update" or "Cancel" && references.Count == 0)
            throw new FeedRejected($"a {msgType} with no references");

        var infos = alert.Elements(C + "info").Select(i => Info(i, sent)).ToList();
        return new CapMessage(identifier, sender, sent, status, msgType, scope, references, infos);
    }

    /// <summary>Validates against the CAP 1.2 schema; the reason gives the place, not the text.</summary>
    public static void Validate(XElement alert)
    {
        var doc = new XDocument(new XElement(alert));
        string? first = null;
        doc.Validate(Schema.Value, (sender, e) =>
        {
            if (e.Severity == XmlSeverityType.Error && first is null)
                first = sender is XElement el ? $"<{Short(el.Name.LocalName)}>"
                    : sender is XAttribute at ? $"@{Short(at.Name.LocalName)}" : "the message";
        });
        if (first is not null) throw new FeedRejected($"the CAP message fails the CAP 1.2 schema at {first}");
    }

    private static CapInfo Info(XElement info, DateTimeOffset sent)
    {
        var language = Language(info.Element(C + "language")?.Value);
        var ev = CheckedText(info.Element(C + "event")?.Value, MaxHeadline, "event") ?? "";
        var headline = CheckedText(info.Element(C + "headline")?.Value, MaxHeadline, "headline");
        var description = CheckedText(info.Element(C + "description")?.Value, MaxText, "description");
        var instruction = CheckedText(info.Element(C + "instruction")?.Value, MaxText, "instruction");
        DateTimeOffset? expires = info.Element(C + "expires") is { } x ? Time(x.Value, "expires") : null;
        if (expires is { } e && e <= sent) throw new FeedRejected("expires is not after sent");
        var areas = info.Elements(C + "area").Select(a => new CapArea(
            CheckedText(a.Element(C + "areaDesc")?.Value, MaxAreaDesc, "areaDesc") ?? "",
            a.Elements(C + "circle").Select(c => Circle(c.Value)).ToList(),
            a.Elements(C + "polygon").Select(p => Polygon(p.Value)).ToList())).ToList();
        return new CapInfo(language, ev, headline, description, instruction, expires, areas);
    }

    /// <summary>"lat,lon radius" — WGS 84 degrees and kilometres (CAP 1.2 §3.2.4) — to a circle in metres.</summary>
    public static CapCircle Circle(string text)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) throw new FeedRejected("a circle is not \"lat,lon radius\"");
        var (lat, lon) = Point(parts[0], "circle");
        if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var km) || !double.IsFinite(km)
            || km < 0 || km > MaxRadiusKm)
            throw new FeedRejected($"a circle's radius is not between 0 and {MaxRadiusKm} km");
        return new CapCircle(lat, lon, km * 1000);
    }

    /// <summary>"lat,lon lat,lon …", a closed ring of at least four points (CAP 1.2 §3.2.4), to GeoJSON order: [lon, lat].</summary>
    public static double[][] Polygon(string text)
    {
        var pairs = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (pairs.Length < 4) throw new FeedRejected("a polygon has fewer than four points");
        if (pairs.Length > MaxPolygonPoints) throw new FeedRejected($"a polygon has more than {MaxPolygonPoints} points");
        var ring = pairs.Select(p => Point(p, "polygon")).Select(p => new[] { p.Lon, p.Lat }).ToArray();
        if (ring[0][0] != ring[^1][0] || ring[0][1] != ring[^1][1]) throw new FeedRejected("a polygon is not closed (first point ≠ last)");
        return ring;
    }

    private static (double Lat, double Lon) Point(string pair, string what)
    {
        var ll = pair.Split(',');
        if (ll.Length != 2
            || !double.TryParse(ll[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
            || !double.TryParse(ll[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon))
            throw new FeedRejected($"a {what} point is not \"lat,lon\"");
        if (!GeoPoint.IsValid(lat, lon)) throw new FeedRejected($"a {what} point is out of range");
        return (lat, lon);
    }

    /// <summary>"en-US" → "en", "es-US" → "es", "hmn" → "hmn"; CAP's default is en-US.</summary>
    public static string Language(string? tag) =>
        string.IsNullOrWhiteSpace(tag) ? "en" : tag.Trim().Split('-')[0].ToLowerInvariant();

    /// <summary>CAP references: space-separated "sender,identifier,sent" triples.</summary>
    public static List<CapReference> References(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        if (text.Length > 8 * MaxIdLength * 4) throw new FeedRejected("references too long");
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(t =>
        {
            var parts = t.Split(',');
            if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new FeedRejected("a reference is not \"sender,identifier,sent\"");
            return new CapReference(parts[0], parts[1], Time(parts[2], "references"));
        }).ToList();
    }

    private static string Required(XElement alert, string name)
    {
        var value = alert.Element(C + name)?.Value.Trim();
        if (string.IsNullOrEmpty(value)) throw new FeedRejected($"missing {name}");
        return value;
    }

    /// <summary>A CAP time ("2026-11-26T03:00:00-06:00"), as UTC (PostgreSQL keeps instants in UTC only).</summary>
    private static DateTimeOffset Time(string text, string what) =>
        DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.ToUniversalTime()
            : throw new FeedRejected($"{what} is not a date and time");

    /// <summary>Plain text only: bounded, and refused when it carries markup (a tag, a script URL).</summary>
    public static string? CheckedText(string? text, int max, string what)
    {
        if (text is null) return null;
        text = text.Trim();
        if (text.Length > max) throw new FeedRejected($"{what} longer than {max} characters");
        if (Markup().IsMatch(text)) throw new FeedRejected($"{what} contains markup (HTML or script)");
        if (text.Any(ch => char.IsControl(ch) && ch is not '\n' and not '\r' and not '\t')) throw new FeedRejected($"{what} contains control characters");
        return text.Length == 0 ? null : Platform.Text.Clean(text);
    }

    [GeneratedRegex(@"<\s*[a-zA-Z/!?]|javascript\s*:|data\s*:\s*text/html", RegexOptions.IgnoreCase)]
    private static partial Regex Markup();

    /// <summary>A name from the document, shortened and reduced to safe characters for a reason.</summary>
    internal static string Short(string s)
    {
        var clean = new string(s.Where(ch => char.IsLetterOrDigit(ch) || ch is ':' or '/' or '.' or '-' or '_').Take(80).ToArray());
        return clean.Length == 0 ? "?" : clean;
    }
}
