using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Whistle.Identity;

namespace Whistle.Verification;

/// <summary>
/// The live queue (SignalR at /hubs/sightings): every connected staff member receives <c>sighting</c>
/// (a <see cref="SightingSummary"/>) after a report is merged or a sighting changes state, committed.
/// </summary>
[Authorize(Policy = Policies.Staff)]
public sealed class SightingsHub : Hub
{
    public const string Path = "/hubs/sightings";
    public const string ChangedEvent = "sighting";

    /// <summary>Tells every open console that a sighting changed (after commit); never fails the request that changed it.</summary>
    public static async Task NotifyAsync(IHubContext<SightingsHub> hub, Sighting s)
    {
        try { await hub.Clients.All.SendAsync(ChangedEvent, SightingsApi.Summary(s)); }
        catch (Exception) { /* a console that missed it still sees it on its next load */ }
    }
}

public static class SightingsHubSetup
{
    public static WebApplication MapSightingsHub(this WebApplication app)
    {
        app.MapHub<SightingsHub>(SightingsHub.Path);
        return app;
    }
}
