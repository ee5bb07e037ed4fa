namespace Whistle.Site.Pages.Console;

/// <summary>The review queue of bystanders' submissions (issue 15 §2): a shell, its data from /api/v1/review/submissions.</summary>
public sealed class SubmissionsModel : ConsolePage { public void OnGet() { } }
