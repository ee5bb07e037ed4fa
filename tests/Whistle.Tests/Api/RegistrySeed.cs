using Microsoft.Extensions.DependencyInjection;
using Whistle.Data;
using Whistle.Incidents;
using Whistle.Privacy;

namespace Whistle.Tests.Api;

/// <summary>
/// Incident files written straight to the database (until the incidents API is merged), for the registry's tests:
/// the published ones carry everything the registry must never show.
/// </summary>
public static class RegistrySeed
{
    public const string Name = "Maria Exampleperson";
    public const string Title = "Raid at the Exampleperson home";
    public const string Place = "3021 17th Ave S, rear door";
    public const string Note = "Maria Exampleperson's lawyer filed a habeas petition on 14 Jan";
    public const string Unpublished = "SECRET-UNPUBLISHED-FILE";

    /// <summary>Exact positions the seeded files hold (6 decimals), as text to look for in responses.</summary>
    public static readonly string[] ExactCoordinates = ["44.948517", "-93.255529", "44.963211", "-93.298417", "44.944123", "-93.093456", "44.977789", "-93.265011"];

    public sealed record Seeded(List<Incident> Published, Incident Hidden, List<string> Secrets);

    public static async Task<Seeded> IncidentsAsync(WhistleApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDb>();
        var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
        var cipher = keys.Encrypt(Name, Whistle.Privacy.Purpose.AffectedNames);
        var now = DateTimeOffset.UtcNow;
        Incident File(string title, DateTimeOffset at, double? lat, double? lon, IncidentCategory category, string agencies,
            int affected, int injured, int deaths, IncidentStatus status, bool published = true) => new()
        {
            Title = title, OccurredAt = at, Place = Place, Lat = lat, Lon = lon, Category = category, Agencies = agencies,
            PeopleAffected = affected, Injured = injured, Deaths = deaths, NamesCipher = cipher, NamesConsent = true,
            Status = status, StatusNote = Note, Published = published, CreatedBy = "documenter@staff.test", CreatedAt = now, UpdatedAt = now,
        };
        var published = new List<Incident>
        {
            // Minneapolis, mid-January (local time).
            File(Title, new(2026, 1, 14, 15, 30, 0, TimeSpan.Zero), 44.948517, -93.255529, IncidentCategory.HomeRaid, "ice,cbp", 3, 1, 0, IncidentStatus.Referred),
            File("Shooting of " + Name, new(2026, 1, 20, 18, 0, 0, TimeSpan.Zero), 44.963211, -93.298417, IncidentCategory.Shooting, "ice", 1, 0, 1, IncidentStatus.Closed),
            // No position.
            File("Arrest at the bus stop", new(2026, 2, 3, 12, 0, 0, TimeSpan.Zero), null, null, IncidentCategory.Arrest, "police", 1, 0, 0, IncidentStatus.Open),
            // Saint Paul: outside every zone of the demo network.
            File("Arrest on University Ave", new(2026, 3, 9, 16, 0, 0, TimeSpan.Zero), 44.944123, -93.093456, IncidentCategory.Arrest, "police, Officer Smith", 1, 0, 0, IncidentStatus.Open),
        };
        var hidden = File(Unpublished, new(2026, 3, 10, 16, 0, 0, TimeSpan.Zero), 44.977789, -93.265011, IncidentCategory.Death, "ice", 2, 0, 2, IncidentStatus.Open, published: false);
        hidden.Place = Unpublished;
        db.Incidents.AddRange(published);
        db.Incidents.Add(hidden);
        await db.SaveChangesAsync();
        var secrets = new List<string> { Name, "Exampleperson", Place, "3021 17th", Note, "habeas", "Officer Smith", Unpublished, "documenter@staff.test",
            Convert.ToBase64String(cipher), Convert.ToHexString(cipher) };
        secrets.AddRange(ExactCoordinates);
        foreach (var i in published.Append(hidden)) secrets.AddRange([i.Id.ToString(), i.Id.ToString("N"), i.Title]);
        return new(published, hidden, secrets);
    }
}
