using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;
using Whistle.Identity;

namespace Whistle.Verification;

/// <summary>
/// The live queue (SignalR at /hubs/sightings): after a report is merged or a sighting changes state, committed,
/// <c>sighting</c> (a <see cref="SightingSummary"/>) goes to whoever <see cref="SightingVisibility"/> lets see it —
/// dispatchers and admins (group <see cref="Everything"/>) and the verifiers sent to it. Documenters cannot connect.
/// </summary>
[Authorize(Policy = Policies.Verify)]
public sealed class SightingsHub : Hub
{
    public const string Path = "/hubs/sightings";
    public const string ChangedEvent = "sighting";
    /// <summary>A surge (<see cref="Reports.SurgeSummary"/>) began, grew by ten reports, or was dismissed or promoted from.</summary>
    public const string SurgeEvent = "surge";
    /// <summary>A sighting was escalated, or escalation stopped (<see cref="EscalationNotice"/>); dispatchers and admins only.</summary>
    public const string EscalationEvent = "escalation";
    /// <summary>A verifier went on or off duty or moved home zone (their id only); dispatchers and admins only, never verifiers.</summary>
    public const string RosterEvent = "roster";
    /// <summary>The connections that see every sighting.</summary>
    public const string Everything = "all-sightings";

    public override async Task OnConnectedAsync()
    {
        if (Context.User is { } user && SightingVisibility.SeesAll(user))
            await Groups.AddToGroupAsync(Context.ConnectionId, Everything);
        await base.OnConnectedAsync();
    }

    /// <summary>Tells the consoles that may see a sighting that it changed (after commit); never fails the request that changed it.</summary>
    public static async Task NotifyAsync(IHubContext<SightingsHub> hub, WhistleDb db, Sighting s)
    {
        try
        {
            var summary = SightingsApi.Summary(s);
            // SignalR's user id is the NameIdentifier claim: the staff user's id, as on the assignment.
            var verifiers = await db.Assignments.AsNoTracking().Where(a => a.SightingId == s.Id).Select(a => a.VerifierId).Distinct().ToListAsync();
            await hub.Clients.Group(Everything).SendAsync(ChangedEvent, summary);
            if (verifiers.Count > 0) await hub.Clients.Users(verifiers).SendAsync(ChangedEvent, summary);
        }
        catch (Exception) { /* a console that missed it still sees it on its next load */ }
    }

    /// <summary>Tells the consoles about several sightings at once (the intake writer's batch): one query for who is assigned.</summary>
    public static async Task NotifyAsync(IHubContext<SightingsHub> hub, WhistleDb db, IReadOnlyCollection<Sighting> sightings)
    {
        if (sightings.Count == 0) return;
        try
        {
            var ids = sightings.Select(s => s.Id).ToList();
            var assigned = (await db.Assignments.AsNoTracking().Where(a => ids.Contains(a.SightingId))
                .Select(a => new { a.SightingId, a.VerifierId }).Distinct().ToListAsync()).ToLookup(a => a.SightingId, a => a.VerifierId);
            foreach (var s in sightings)
            {
                var summary = SightingsApi.Summary(s);
                await hub.Clients.Group(Everything).SendAsync(ChangedEvent, summary);
                if (assigned[s.Id].ToList() is { Count: > 0 } verifiers) await hub.Clients.Users(verifiers).SendAsync(ChangedEvent, summary);
            }
        }
        catch (Exception) { /* a console that missed it still sees it on its next load */ }
    }

    /// <summary>Tells dispatchers' open sighting pages that the roster changed, so they reload it; verifiers are not told about each other.</summary>
    public static async Task RosterChangedAsync(IHubContext<SightingsHub> hub, string verifierId)
    {
        try { await hub.Clients.Group(Everything).SendAsync(RosterEvent, new { id = verifierId }); }
        catch (Exception) { /* seen on the page's next load */ }
    }

    /// <summary>Tells open consoles about a surge: when it starts and every tenth report, not for each one of a flood.</summary>
    public static async Task NotifyAsync(IHubContext<SightingsHub> hub, Reports.Surge s, bool force = false)
    {
        if (!force && s.ReportCount != 1 && s.ReportCount % 10 != 0) return;
        try { await hub.Clients.Group(Everything).SendAsync(SurgeEvent, Reports.SurgeSummary.Of(s)); }
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
