using Whistle.Content;
using Whistle.Data;

namespace Whistle.Site.Pages;

/// <summary>Know your rights (/rights) in the visitor's language: Markdown an admin can edit, rendered without raw HTML.</summary>
public sealed class RightsModel(WhistleDb db) : SitePage
{
    public string Html { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct) =>
        Html = (await PagesApi.FindAsync(db, "rights", Lang, ct))?.Html ?? "";
}
