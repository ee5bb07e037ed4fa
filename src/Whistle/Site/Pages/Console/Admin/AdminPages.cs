namespace Whistle.Site.Pages.Console;

// The admin pages: shells like every console page; their scripts load and change everything through the
// admin-only API (/api/v1/users, /api/v1/zones/import, /api/v1/retention), which enforces the role.
public sealed class UsersModel : ConsolePage { public void OnGet() { } }
public sealed class ZonesModel : ConsolePage { public void OnGet() { } }
public sealed class RetentionModel : ConsolePage { public void OnGet() { } }
public sealed class KeysModel : ConsolePage { public void OnGet() { } }
