namespace Whistle.Site.Pages.Console;

/// <summary>One's own account: sessions (end any), the authenticator app and recovery codes, passkeys.</summary>
public sealed class AccountModel : ConsolePage { public void OnGet() { } }
