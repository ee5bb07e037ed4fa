using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Whistle.Content;

/// <summary>Markdown to HTML for public pages: no raw HTML (it is shown as text), links only to http(s), mailto, tel or this site.</summary>
public static class SafeMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().DisableHtml().Build();

    public static string ToHtml(string markdown)
    {
        var doc = Markdig.Markdown.Parse(markdown, Pipeline);
        foreach (var link in doc.Descendants<LinkInline>())
            if (!IsSafe(link.Url)) link.Url = "#";
        return doc.ToHtml(Pipeline);
    }

    private static bool IsSafe(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return true;
        var u = url.Trim();
        if (u.StartsWith('/') && !u.StartsWith("//", StringComparison.Ordinal)) return true;
        if (u.StartsWith('#')) return true;
        return u.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) || u.StartsWith("tel:", StringComparison.OrdinalIgnoreCase);
    }
}
