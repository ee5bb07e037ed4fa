using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Data;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Platform;

namespace Whistle.Network;

/// <summary>One step of setting up a new network: done or not, and the console page where it is done (null: on the server).</summary>
public sealed record SetupStep(string Key, bool Done, string? Link, Dictionary<string, object?>? Facts = null);

public sealed record SetupChecklist(bool Complete, List<SetupStep> Steps);

public sealed record NetworkEdit(string? Name, string? TimeZone) : IValidatable
{
    public void Validate(Problems p, IServiceProvider services)
    {
        p.Require(!string.IsNullOrWhiteSpace(Name), "name", "The network's name, as people should read it.");
        p.MaxLength(Name, 100, "name");
        p.Require(TimeZone is { Length: > 0 and <= 64 } tz && TimeZoneInfo.TryFindSystemTimeZoneById(tz, out _), "timeZone",
            "An IANA time zone such as America/Chicago.");
    }
}

/// <summary>
/// The first-run checklist an admin sees on the console of a new network (first admin, name and time zone, zones,
/// templates reviewed, channels), each step checked from the data itself; and the one step done here, the name and
/// time zone. Admins only: it tells which channels are configured.
/// </summary>
public static class SetupApi
{
    /// <summary>What a network is called until someone names it (Whistle:Network:Name's default).</summary>
    public const string DefaultName = "Whistle network";

    public static RouteGroupBuilder MapSetup(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/setup").WithTags("Setup").WithValidation().RequireAuthorization(Policies.Admin);
        group.MapGet("/", ChecklistAsync);
        group.MapPut("/network", SetNetworkAsync);
        return group;
    }

    private static async Task<Ok<SetupChecklist>> ChecklistAsync(WhistleDb db, ZoneRegistry zones, IOptions<WhistleOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        var profile = await db.Network.AsNoTracking().OrderBy(n => n.Id).FirstOrDefaultAsync(ct);
        int unreviewed = await db.Templates.CountAsync(t => t.NeedsReview, ct);
        int zoneCount = zones.Current.All.Count;
        bool sms = o.Sms.Twilio.IsConfigured, email = o.Email.IsConfigured;
        List<SetupStep> steps =
        [
            new("admin", true, "/console/admin/users"),
            new("network", profile is not null && profile.Name != DefaultName && profile.TimeZone != "UTC", null,
                new() { ["name"] = profile?.Name, ["timeZone"] = profile?.TimeZone }),
            new("zones", zoneCount > 0, "/console/admin/zones", new() { ["count"] = zoneCount }),
            new("templates", unreviewed == 0, "/console/admin/templates", new() { ["count"] = unreviewed }),
            new("channels", sms || email, null, new() { ["sms"] = sms, ["email"] = email, ["push"] = true }),
        ];
        return TypedResults.Ok(new SetupChecklist(steps.All(s => s.Done), steps));
    }

    private static async Task<Results<NoContent, NotFound>> SetNetworkAsync(NetworkEdit req, WhistleDb db, CancellationToken ct)
    {
        var profile = await db.Network.OrderBy(n => n.Id).FirstOrDefaultAsync(ct);
        if (profile is null) return TypedResults.NotFound();
        profile.Name = req.Name!.Trim();
        profile.TimeZone = req.TimeZone!;
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
