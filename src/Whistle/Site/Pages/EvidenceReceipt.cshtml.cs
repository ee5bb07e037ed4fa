namespace Whistle.Site.Pages;

/// <summary>
/// Looking up a receipt code (issue 15 §1, §3): the page calls <c>GET /api/v1/submissions/receipt/{code}</c> and says the
/// state in words — received, attached, rejected, still arriving — and nothing else.
/// </summary>
public sealed class EvidenceReceiptModel : SitePage
{
    public void OnGet() { }
}
