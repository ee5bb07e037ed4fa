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
    /// <summary>A surge (<see cref="Reports.SurgeSummary"/>) began, grew by ten reports, or was dismissed or promoted from.</summary>
    public const string SurgeEvent = "surge";

    /// <summary>Tells every open console that a sighting changed (after commit); never fails the request that changed it.</summary>
    public static async Task NotifyAsync(IHubContext<SightingsHub> hub, Sighting s)
    {
        try { await hub.Clients.All.SendAsync(ChangedEvent, SightingsApi.Summary(s)); }
        catch (Exception) { /* a console that missed it still sees it on its next load */ }
    }

    /// <summary>Tells open consoles about a surge: when it starts and every tenth report, not for each one of a flood.</summary>
    public static async Task NotifyAsync(IHubContext<SightingsHub> hub, Reports.Surge s, bool force = false)
    {
        if (!force && s.ReportCount != 1 && s.ReportCount % 10 != 0) return;
        try { await hub.Clients.All.SendAsync(SurgeEvent, Reports.SurgeSummary.Of(s)); }
        catch (Exception) { /* seen on the console's next load */ }
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
