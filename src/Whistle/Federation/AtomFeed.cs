using System.Xml;
using System.Xml.Linq;

namespace Whistle.Federation;

/// <summary>An entry of a CAP Atom feed: the CAP message embedded in its content, or the link to fetch it from.</summary>
public sealed record FeedEntry(int Index, string? Id, XElement? Embedded, Uri? Link);

/// <summary>
/// An RFC 4287 Atom feed following the OASIS CAP feed conventions: each entry carries its CAP message in
/// <c>content</c>, or points to it (<c>link type="application/cap+xml"</c>, or <c>content src</c>).
/// </summary>
public static class AtomFeed
{
    public const string Namespace = "http://www.w3.org/2005/Atom";
    public const string CapMediaType = "application/cap+xml";
    private static readonly XNamespace A = Namespace;

    /// <summary>
    /// Parses XML with no DTD (so no entity expansion, no external entities), no resolver, and at most
    /// <paramref name="maxChars"/> characters.
    /// </summary>
    public static XDocument Load(byte[] bytes, long maxChars)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxChars,
            MaxCharactersFromEntities = 1024,
            IgnoreProcessingInstructions = true,
            IgnoreComments = true,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(bytes, writable: false), settings);
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.Ordinal))
        {
            throw new FeedRejected("a DOCTYPE (DTD) is not allowed");
        }
        catch (XmlException e) when (e.Message.Contains("MaxCharacters", StringComparison.Ordinal))
        {
            throw new FeedRejected($"the document is larger than {maxChars} characters");
        }
        catch (XmlException e)
        {
            throw new FeedRejected($"not well-formed XML (line {e.LineNumber}, position {e.LinePosition})");
        }
    }

    public static List<FeedEntry> Entries(XDocument doc, Uri feedUri)
    {
        var root = doc.Root!;
        if (root.Name.LocalName != "feed")
            throw new FeedRejected($"the root is <{Cap.Short(root.Name.LocalName)}>, not an Atom <feed>");
        if (root.Name.Namespace != A)
            throw new FeedRejected($"the feed is in namespace '{Cap.Short(root.Name.NamespaceName)}', not Atom");
        return root.Elements(A + "entry").Select((e, i) => Entry(e, i + 1, feedUri)).ToList();
    }

    private static FeedEntry Entry(XElement entry, int index, Uri feedUri)
    {
        var id = entry.Element(A + "id")?.Value.Trim();
        var content = entry.Element(A + "content");
        var embedded = content?.Elements().FirstOrDefault(e => e.Name.LocalName == "alert");
        if (embedded is not null) return new FeedEntry(index, id, embedded, null);

        string? href = content?.Attribute("src") is { } src && IsCap(content.Attribute("type")?.Value) ? src.Value : null;
        href ??= entry.Elements(A + "link")
            .Where(l => IsCap(l.Attribute("type")?.Value))
            .OrderBy(l => (l.Attribute("rel")?.Value ?? "alternate") == "alternate" ? 0 : 1)
            .Select(l => l.Attribute("href")?.Value).FirstOrDefault(h => !string.IsNullOrWhiteSpace(h));
        if (href is null) return new FeedEntry(index, id, null, null);
        return new FeedEntry(index, id, null, Uri.TryCreate(feedUri, href.Trim(), out var link) ? link : null);
    }

    private static bool IsCap(string? type) =>
        type is not null && type.Split(';')[0].Trim().Equals(CapMediaType, StringComparison.OrdinalIgnoreCase);
}
