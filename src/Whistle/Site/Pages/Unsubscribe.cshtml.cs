namespace Whistle.Site.Pages;

/// <summary>Stop alerts (/unsubscribe): the channel and address; <c>POST /api/v1/subscriptions/unsubscribe</c>.</summary>
public sealed class UnsubscribeModel : SitePage
{
    public void OnGet() { }
}
