using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Whistle.Content;

/// <summary>
/// Markdown to HTML for public pages: no raw HTML (it is shown as text); links — inline, reference and
/// autolinks (&lt;javascript:…&gt; is one) — only to http(s), mailto or this site (issue 11: nothing else; a phone number stays text, which phones still offer to call), else shown as plain text
/// or pointing nowhere; images only from this site (an outside image would tell a third party who reads the page).
/// </summary>
public static class SafeMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().DisableHtml().Build();

    public static string ToHtml(string markdown)
    {
        var doc = Markdig.Markdown.Parse(markdown, Pipeline);
        foreach (var auto in doc.Descendants<AutolinkInline>().ToList())
            if (!auto.IsEmail && !IsSafeLink(auto.Url)) auto.ReplaceBy(new LiteralInline(auto.Url));
        foreach (var link in doc.Descendants<LinkInline>().ToList())
        {
            if (!link.IsImage) { if (!IsSafeLink(link.Url)) link.Url = "#"; }
            else if (!IsOwn(link.Url)) link.ReplaceBy(new LiteralInline(AltText(link)));
        }
        return doc.ToHtml(Pipeline);
    }

    /// <summary>The schemes a link may have: none of them can run script or load a document as this site.</summary>
    public static bool IsSafeLink(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return true;
        var u = url.Trim();
        if (u.Any(char.IsControl)) return false; // browsers drop tabs and newlines: "java\tscript:" is javascript:
        return IsOwn(u) || u.StartsWith('#')
            || u.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A path on this site ("/x"; not "//host" or "/\host", which browsers read as another host).</summary>
    private static bool IsOwn(string? url) =>
        url is { Length: > 0 } u && u[0] == '/' && (u.Length == 1 || (u[1] != '/' && u[1] != '\\'));

    private static string AltText(LinkInline image) =>
        string.Concat(image.Descendants<LiteralInline>().Select(l => l.Content.ToString()));
}
