namespace Whistle.Content;

/// <summary>
/// An admin's edit of a public page (today: <c>rights</c>, "know your rights") in one language, as Markdown.
/// A page nobody has edited shows the text that ships with Whistle (<see cref="DefaultPages"/>).
/// </summary>
public class PageText
{
    public const int MaxSlugLength = 40;
    public const int MaxMarkdownLength = 20_000;

    public string Slug { get; set; } = "";
    public string Language { get; set; } = "";
    public string Markdown { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}
