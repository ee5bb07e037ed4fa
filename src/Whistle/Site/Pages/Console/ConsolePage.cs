namespace Whistle.Site.Pages.Console;

/// <summary>
/// A console page: a shell served to anyone; its script holds the staff bearer token (sessionStorage)
/// and loads everything from the API, which enforces the roles.
/// </summary>
public abstract class ConsolePage : SitePage
{
    public string TextsJson => System.Text.Json.JsonSerializer.Serialize(Ui.ConsoleTextsFor(Lang));
}

/// <summary>The login page; while the network has no staff account at all, it says how the first admin is made (on the server only).</summary>
public sealed class LoginModel(Whistle.Data.WhistleDb db) : ConsolePage
{
    public bool NoStaffYet { get; private set; }
    public async Task OnGetAsync(CancellationToken ct) => NoStaffYet = !await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AnyAsync(db.Users, ct);
}
public sealed class QueueModel : ConsolePage { public void OnGet() { } }
public sealed class VerifyModel : ConsolePage { public void OnGet() { } }
public sealed class PartnersModel : ConsolePage { public void OnGet() { } }
public sealed class IncidentsModel : ConsolePage { public void OnGet() { } }
public sealed class IncidentModel : ConsolePage
{
    public Guid Id { get; private set; }
    public void OnGet(Guid id) => Id = id;
}
public sealed class SightingModel : ConsolePage
{
    public Guid Id { get; private set; }
    public void OnGet(Guid id) => Id = id;
}

public sealed class TemplatesModel : ConsolePage { public void OnGet() { } }
