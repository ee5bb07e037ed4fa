using Markdig;

namespace Whistle.Site.Pages;

/// <summary>/registry/schema: docs/registry-schema.md (embedded at build), in English; our own text, so tables are allowed (raw HTML still is not).</summary>
public sealed class RegistrySchemaModel : SitePage
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().DisableHtml().Build();

    private static readonly Lazy<string> Rendered = new(() =>
    {
        using var stream = typeof(RegistrySchemaModel).Assembly.GetManifestResourceStream("Whistle.Docs.registry-schema.md")
            ?? throw new InvalidOperationException("docs/registry-schema.md is not embedded.");
        using var reader = new StreamReader(stream);
        return Markdown.ToHtml(reader.ReadToEnd(), Pipeline);
    });

    public string Html => Rendered.Value;
}
