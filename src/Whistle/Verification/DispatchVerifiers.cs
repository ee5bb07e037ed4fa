using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Whistle.Alerts;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Platform;

namespace Whistle.Verification;

public sealed record DispatchRequest(string? Note, int? Count, string[]? VerifierIds) : IValidatable
{
    public const int MaxCount = 10;

    public void Validate(Problems p, IServiceProvider services)
    {
        p.MaxLength(Note, 1000, "note");
        p.Require(Count is null or >= 1 and <= MaxCount, "count", $"How many on-duty verifiers to send, 1 to {MaxCount}.");
        p.Require(VerifierIds is null || VerifierIds.Length <= MaxCount, "verifierIds", $"At most {MaxCount} verifiers at once.");
    }
}

public sealed record SentVerifier(string Id, string Email, double? DistanceMeters, bool Messaged);

public sealed record DispatchResult(SightingSummary Sighting, List<SentVerifier> Sent);

/// <summary>
/// Sends verifiers to a sighting: the ones the dispatcher named, or else the nearest on-duty ones. Each gets an
/// assignment and a message through the outbox, in the same transaction as the sighting's move to "verifying";
/// the relay delivers it like any other message. With nobody on duty the sighting still moves (the dispatcher
/// may have phoned someone) and the answer says that nobody was messaged.
/// </summary>
public sealed class DispatchVerifiers(WhistleDb db, UserManager<StaffUser> users, ZoneRegistry zones, TimeProvider time, IOptions<WhistleOptions> options, DeliverySignal signal)
{
    public const int DefaultCount = 2;

    public async Task<(DispatchResult? Result, string? Conflict)> RunAsync(Sighting s, DispatchRequest req, string actor, CancellationToken ct)
    {
        if (!Sighting.CanMove(s.State, SightingState.Verifying))
            return (null, $"A sighting that is {Names.Of(s.State)} cannot become verifying.");
        var now = time.GetUtcNow();
        var roster = await RosterAsync(users, ct);
        var already = (await db.Assignments.Where(a => a.SightingId == s.Id).Select(a => a.VerifierId).ToListAsync(ct)).ToHashSet();

        List<(RosterEntry Verifier, double? Meters)> picked;
        if (req.VerifierIds is { Length: > 0 } ids)
        {
            var unknown = ids.Where(id => roster.All(v => v.Id != id)).ToList();
            if (unknown.Count > 0) return (null, "Only verifiers can be sent: " + string.Join(", ", unknown) + " is not one.");
            picked = roster.Where(v => ids.Contains(v.Id) && !already.Contains(v.Id))
                .Select(v => (v, Roster.Distance(v, s.Location, zones.Current))).ToList();
        }
        else picked = Roster.Nearest(roster, s.Location, zones.Current, already, req.Count ?? DefaultCount);

        db.SightingTransitions.Add(s.MoveTo(SightingState.Verifying, actor, req.Note, now));
        var sent = await AddAssignmentsAsync(s, picked, actor, now, ct);
        await db.SaveChangesAsync(ct);
        if (sent.Any(x => x.Messaged)) signal.Poke();
        return (new DispatchResult(SightingsApi.Summary(s), sent), null);
    }

    /// <summary>
    /// An assignment and (when the verifier has a contact) a message through the outbox for each picked verifier; not saved —
    /// the caller saves it with the sighting's transition, in one transaction, and pokes the relay after.
    /// </summary>
    public async Task<List<SentVerifier>> AddAssignmentsAsync(Sighting s, List<(RosterEntry Verifier, double? Meters)> picked, string actor,
        DateTimeOffset now, CancellationToken ct)
    {
        var sent = new List<SentVerifier>();
        if (picked.Count == 0) return sent;
        var ids = picked.Select(p => p.Verifier.Id).ToList();
        var staff = await db.Users.Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, ct);
        var link = $"{(options.Value.PublicBaseUrl ?? "").TrimEnd('/')}/console/verify";
        var texts = TemplateSet.From(await db.Templates.AsNoTracking().ToListAsync(ct));
        var tz = await Network.NetworkLookup.TimeZoneAsync(db, ct);
        foreach (var (v, meters) in picked)
        {
            db.Assignments.Add(new Assignment
            {
                SightingId = s.Id, VerifierId = v.Id, State = AssignmentState.Sent, DistanceMeters = meters, SentBy = actor, SentAt = now,
            });
            var user = staff[v.Id];
            bool messaged = false;
            if (user.ContactSubscriberId is { } contact && await db.Subscribers.FindAsync([contact], ct) is { } sub)
            {
                db.Messages.Add(new DirectMessage
                {
                    SubscriberId = sub.Id, Channel = sub.Channel, State = DeliveryState.Pending, NextAttemptAt = now,
                    Body = Text(texts, user.Language, s, zones.Current, tz, link),
                });
                messaged = true;
            }
            sent.Add(new SentVerifier(v.Id, v.Email, meters, messaged));
        }
        return sent;
    }

    public static string Text(TemplateSet texts, string lang, Sighting s, ZoneCatalog zones, TimeZoneInfo tz, string link) =>
        TemplateSet.Fill(texts.Get(lang, "dispatch"), new Dictionary<string, string>
        {
            ["activity"] = texts.Get(lang, "activity." + Names.Of(s.Activity)),
            ["place"] = Place(s, zones),
            ["time"] = TemplateSet.LocalTime(s.LastReportAt, tz, lang),
            ["link"] = link,
        });

    /// <summary>Where to go: the neighbourhood and the coordinates (a verifier needs the spot, not just the area).</summary>
    public static string Place(Sighting s, ZoneCatalog zones)
    {
        if (s.Location is not { } p) return s.PlaceText ?? "(no location given)";
        var zone = zones.ZoneAt(p)?.Name;
        var coords = FormattableString.Invariant($"{p.Lat:0.#####},{p.Lon:0.#####}");
        return zone is null ? coords : $"{zone} ({coords})";
    }

    /// <summary>Every verifier (role verifier), with duty, home zone and whether a message can reach them.</summary>
    public static async Task<List<RosterEntry>> RosterAsync(UserManager<StaffUser> users, CancellationToken ct)
    {
        var verifiers = await users.GetUsersInRoleAsync(Roles.Verifier);
        return verifiers.Select(u => new RosterEntry(u.Id, u.Email ?? u.UserName ?? u.Id, u.OnDuty, u.HomeZoneId, u.ContactSubscriberId is not null))
            .OrderBy(v => v.Email, StringComparer.Ordinal).ToList();
    }
}
